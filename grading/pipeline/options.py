"""The options of one grading run, with their defaults in one place.

The ``grade`` verb, the batch and the tests build a :class:`GradeOptions`;
checks read it as ``ctx.options``. A default that several places need (the
batch's time limit, the sandbox memory) is a constant here, never retyped.
The default lab is rubric data (:func:`grading.pipeline.rubric.default_lab`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Wall-time limit of one submission in a batch (every check), seconds.
DEFAULT_BATCH_TIMEOUT = 1800.0
#: Factor on every time limit when a batch grades a timed-out submission
#: again (once, at the end, one submission at a time).
REGRADE_TIME_FACTOR = 2.0
#: Hidden-test limits used when the rubric's ``[hidden_tests]`` gives none.
DEFAULT_TESTS_TIMEOUT = 300.0
DEFAULT_TEST_TIMEOUT = 150.0
#: Address-space limit of a sandboxed child, MiB. TensorFlow reserves far
#: more virtual memory than it touches: importing it takes about 1.7 GB of
#: address space, and fine-tuning, clustering, pruning and converting a tiny
#: model peaks near 2.9 GB on a 2-core machine. 8 GiB leaves room for that
#: and still stops a runaway allocation long before it hurts the machine.
DEFAULT_MEMORY_MB = 8192


@dataclass
class GradeOptions:
    """How to grade one submission.

    Parameters
    ----------
    base : str, optional
        Git revision the student started from; the history check looks only
        at the commits after it (found from the template record when None).
    timeout : float, optional
        Wall-time limit of the whole hidden-test run, seconds (the rubric's
        ``[hidden_tests] timeout`` when None).
    test_timeout : float, optional
        Limit of one hidden test, seconds (the rubric's when None).
    memory_mb : int, optional
        Address-space limit of the sandboxed run (:data:`DEFAULT_MEMORY_MB`
        when None).
    hidden_tests_cache : Path, optional
        Folder shared between gradings for the hidden tests' generated data
        set and tiny model; None makes them per run.
    overrides : dict, optional
        Manual decisions by item id (``{"points", "comment", "reviewer"}``).
    keep_workdir : bool
        Keep the scratch folder (working copy, logs) for debugging.
    check_environment : bool
        Compare the installed packages with the pins before grading.
    unsafe_no_sandbox : bool
        Where bubblewrap cannot run, run the student's code anyway, without
        isolation (the student's own workflow, where the instructor's batch
        is the grade of record); results and reports say so. Without it the
        grader refuses to run untrusted code there.
    threads : int
        Threads each thread pool of the student's run may use (TensorFlow's
        intra-op and inter-op pools, OpenMP); ``0`` leaves the libraries'
        defaults. A batch with ``--jobs N`` gives each grading its share of
        the cores.
    """

    base: str | None = None
    timeout: float | None = None
    test_timeout: float | None = None
    memory_mb: int | None = None
    hidden_tests_cache: Path | None = None
    overrides: dict[str, dict[str, Any]] | None = None
    keep_workdir: bool = False
    check_environment: bool = True
    unsafe_no_sandbox: bool = False
    threads: int = 0

    def for_checks(self) -> dict[str, Any]:
        """Return the options a check may see, as plain data (no overrides)."""
        data = dataclasses.asdict(self)
        data.pop("overrides", None)
        if data["hidden_tests_cache"] is not None:
            data["hidden_tests_cache"] = str(data["hidden_tests_cache"])
        return data
