"""The one contract between the grader and a hidden suite's sandboxed run.

The grader (:mod:`grading.hidden.runner`) and the code of the suite that runs
in the sandbox (the recorder plugin ``grader_plugin.py`` and each lab's
fixtures) share these values. They travel as ONE environment variable,
:data:`ENV`, holding the JSON of a :class:`Contract`; nothing else in the
child's environment is part of it. The runner copies this file into the
tests folder beside the plugin, so both sides import the same definition
(``grading.hidden.suites.grader_contract`` in the grader,
``grader_contract`` in the child).

Every path is as the child sees it (the sandbox binds each at the same
path as on the host).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

#: The environment variable that carries the contract.
ENV = "GRADER_CONTRACT"


@dataclass(frozen=True)
class Contract:
    """What the grader tells the hidden suite's run.

    Parameters
    ----------
    results : str
        File the recorder rewrites after every test (outcomes as JSON).
    artifacts : str
        Folder for what the grader inspects after the run: the models the
        student's code writes, the student's outputs, ``manifest.json``
        (errors per variant). The grader reads a copy made after the run.
    workcopy : str
        The student's working copy; the student's module must come from it.
    tests_dir : str
        The hidden tests' folder; its frames stay out of student evidence.
    masters : str
        Read-only folder of inputs the grader built before the run, outside
        the student's process (data set, the original model); ``""`` when
        the suite must build them itself (a run without the grader).
    fast_exit : bool
        End the process as soon as the results are written (tearing down
        TensorFlow at exit takes seconds and can hang on student threads).
    test_cpu_seconds : float
        CPU-time limit of one test, its fixtures included (``0``: none). A
        test that reaches it ends as ``timeout``, never as a failure.
    asks : str or None
        What the submission's template version asks (comma separated words
        of ``grading/versions/templates.toml``); ``None``: everything.
    threads : int
        Threads each thread pool of the child may use: its share of the
        cores when a batch grades several submissions at once (``0``: the
        libraries' defaults, one thread per core the child may run on).
    """

    results: str
    artifacts: str
    workcopy: str
    tests_dir: str
    masters: str = ""
    fast_exit: bool = True
    test_cpu_seconds: float = 0.0
    asks: str | None = None
    threads: int = 0

    def thread_env(self) -> dict[str, str]:
        """Environment that sizes TensorFlow's and OpenMP's pools to :attr:`threads`.

        Read by TensorFlow when it starts (intra-op and inter-op pools) and
        by oneDNN's OpenMP; the child's plugin sets it before anything
        imports TensorFlow. LiteRT needs nothing: its interpreter runs on one
        thread unless ``num_threads`` asks for more. ``{}`` for ``0``.
        """
        if self.threads <= 0:
            return {}
        value = str(int(self.threads))
        names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
        return dict.fromkeys(names, value)

    def to_env(self) -> dict[str, str]:
        """The environment entry of this contract."""
        return {ENV: json.dumps(asdict(self), sort_keys=True)}

    @classmethod
    def from_env(cls, environ=None) -> Contract | None:
        """Read the contract from ``environ`` (``os.environ``); None if absent."""
        text = (os.environ if environ is None else environ).get(ENV)
        if not text:
            return None
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
