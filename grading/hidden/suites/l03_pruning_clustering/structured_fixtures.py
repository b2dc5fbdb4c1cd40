"""Fixtures of the structured-pruning hidden tests (``-p structured_fixtures``).

The student's work in this part lives inside ``main()`` of
``structured_pruning_experiments`` (in every template version), so the tests
run ``main()`` once on a tiny configuration and watch it through spies on
the libraries it must call: ``nni.trace``, the pruners' constructors,
``compress``, ``show_pruned_weights``, ``ModelSpeedup``, ``torch.optim.Adam``
and the classifier's own ``train_model`` and conversion methods (the spies
are in ``structured_spies``). The tiny configuration: 480 training and 160
test images (Fashion-MNIST from Debian's package, or scikit-learn digits), a
classifier the grader trains on them before the run (the masters), one epoch
where the template asks for more, one torch thread.

What the run leaves in the contract's artifacts folder is verified afterwards outside
the student's process (``grading/hidden/structured_artifacts.py``): the
final state dict, the ONNX and TFLite files and the state dicts of the
models the conversion methods were called on. ``structured-manifest.json``
says which steps ran and why the others did not.

When torch or NNI is not installed every test fails with the code
``not_runnable``, which puts the items on hold for a person (never a silent
pass, never a crash). The test module is skipped when this plugin is not
loaded (a course without the part lists no such plugin).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from grader_plugin import CONTRACT, Expected, describe_exception
from structured_spies import (  # noqa: F401 - re-exported for the tests
    FILES,
    Event,
    Recorder,
    install_library_spies,
    install_model_spies,
)

ACTIVE = False
STUDENT_MODULE = (
    "dl_in_iot_course.l03_pruning_clustering.structured_pruning_experiments"
)
N_TRAIN, N_TEST = 480, 160
PRETRAIN_EPOCHS = 3
MANIFEST = "structured-manifest.json"
REQUIRED = ("torch", "nni", "onnx")
PATCHED_EPOCHS = {"TRAIN_EPOCHS": 1, "MEASUREMENTS_EPOCHS": 1, "FINE_TUNE_EPOCHS": 1}


def pytest_configure(config) -> None:
    """Mark the plugin as loaded (the test module skips itself otherwise)."""
    global ACTIVE
    ACTIVE = True


# --------------------------------------------------------------- environment


def missing_packages() -> list[str]:
    """Return what this part needs and the environment lacks (with the reason)."""
    missing = []
    for name in REQUIRED:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(f"{name} (not installed)")
        except Exception as exc:  # noqa: BLE001 - any failure counts
            missing.append(f"{name} (fails to import: {str(exc)[:120]})")
    if not missing:
        try:
            importlib.import_module("nni.compression.pytorch.pruning")
            importlib.import_module("nni.compression.pytorch")
        except Exception as exc:  # noqa: BLE001
            missing.append(f"NNI's legacy pruning API (fails: {str(exc)[:120]})")
    return missing


def _torchvision_works() -> bool:
    try:
        import torchvision  # noqa: F401
        from torchvision import datasets, transforms  # noqa: F401
    except Exception:  # noqa: BLE001 - PyPI's build fails beside the CPU torch
        sys.modules.pop("torchvision", None)
        return False
    return True


def install_stand_ins(stand_ins: list[str]) -> None:
    """Put stand-ins for torchvision and onnx_tf into ``sys.modules`` if needed.

    Every template version of the original course imports torchvision at the
    top of the module (only for the data set and its transforms, which the
    grader replaces by its tiny data anyway); the 2022 and 2024 versions
    also import ``onnx_tf``, which cannot run beside TensorFlow 2.21.
    """
    if "torchvision" not in sys.modules and not _torchvision_works():
        import structured_standins

        structured_standins.install_torchvision()
        stand_ins.append("torchvision")
    try:
        importlib.import_module("onnx_tf.backend")
    except Exception:  # noqa: BLE001
        import structured_standins

        structured_standins.install_onnx_tf()
        stand_ins.append("onnx_tf")


# ---------------------------------------------------------------------- data


def _cache_base(scratch: Path) -> Path:
    """Where the pretrained classifier is: the grader's masters, else ``scratch``."""
    given = CONTRACT.masters if CONTRACT else ""
    built = Path(given) / "structured" if given else None
    if built is not None and (built / "done").is_file():
        return built / "cache"
    return scratch / "cache"


def build_masters(folder: Path) -> None:
    """Train the grader's classifier once, outside the student's process.

    Called by ``l03_fixtures.build_masters`` (the rubric's ``[hidden_tests]
    masters``); nothing is built when torch or NNI is missing.
    """
    if missing_packages():
        return
    import torch

    torch.set_num_threads(1)
    folder = Path(folder)
    kind = tiny_data(folder / "data")
    pretrained(folder / "data", kind, folder)
    (folder / "done").write_text("ok", encoding="utf-8")


def tiny_data(folder: Path) -> str:
    """Write the tiny data set in every layout the template versions read."""
    from dl_in_iot_course.misc import fashion_mnist

    try:
        train = fashion_mnist.load_split(fashion_mnist.DEBIAN_DIR, "train", N_TRAIN)
        test = fashion_mnist.load_split(fashion_mnist.DEBIAN_DIR, "test", N_TEST)
        kind = "fashion-mnist"
    except (OSError, ValueError):
        images, labels = fashion_mnist.digits_28(seed=1)
        train = images[:N_TRAIN], labels[:N_TRAIN]
        test = images[N_TRAIN : N_TRAIN + N_TEST], labels[N_TRAIN : N_TRAIN + N_TEST]
        kind = "digits"
    # Flat (this course's template), and torchvision's layout under train/
    # and test/ (the original template), each with all four files.
    for sub in ("", "train/FashionMNIST/raw", "test/FashionMNIST/raw"):
        fashion_mnist.write_split(folder / sub, "train", *train)
        fashion_mnist.write_split(folder / sub, "test", *test)
    return kind


def pretrained(data: Path, kind: str, scratch: Path) -> Path:
    """The grader's classifier trained on the tiny data (cached between runs)."""
    import torch

    from dl_in_iot_course.misc import fashion_net

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(fashion_net.__file__).read_bytes())
    digest.update(f"{kind} {torch.__version__} {PRETRAIN_EPOCHS}".encode())
    base = _cache_base(scratch)
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"structured-{digest.hexdigest()[:16]}.pth"
    if path.is_file():
        return path
    torch.manual_seed(0)
    model = fashion_net.FashionNet()
    trainloader, _, _, _ = fashion_net.make_loaders(data, 32)
    fashion_net.train_briefly(model, trainloader, epochs=PRETRAIN_EPOCHS)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------- run


class LogCapture(logging.Handler):
    """Collects the messages of NNI's loggers."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(record.getMessage())


class Tee(io.TextIOBase):
    """Writes to a stream and keeps a copy (the run's printed log)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.buffer_text = io.StringIO()

    def write(self, text) -> int:
        self.buffer_text.write(text)
        with contextlib.suppress(Exception):
            self.stream.write(text)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self.stream.flush()


@dataclass
class Run:
    """What one run of the student's ``main()`` did."""

    module: Any = None
    rec: Recorder = field(default_factory=Recorder)
    missing: list[str] = field(default_factory=list)
    stand_ins: list[str] = field(default_factory=list)
    error: dict | None = None
    import_error: dict | None = None
    log: str = ""
    nni_log: list[str] = field(default_factory=list)
    constants: dict = field(default_factory=dict)
    folder: Path = Path()
    data: Path = Path()
    accuracy: dict = field(default_factory=dict)
    conversions: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def fail_if_not_runnable(self, expected: str) -> None:
        """Fail with ``not_runnable`` (item held for a person) when nothing ran."""
        if self.missing:
            raise Expected(
                expected,
                "the grading environment cannot run this part: missing "
                + "; ".join(self.missing)
                + " (part 2's packages: pip install -r requirements-structured.txt "
                "after torch's CPU build, as the lab README's 'Before you start "
                "(part 2)' says)",
                code="not_runnable",
            )
        if self.import_error:
            raise Expected(
                expected,
                f"importing the module failed with {self.import_error['message']}",
                code=self.import_error.get("code") or "import_error",
                evidence=self.import_error.get("evidence", ""),
            )

    def main_error(self) -> str:
        """`` (main() raised ...)`` or ``""``."""
        if not self.error:
            return ""
        return f" (main() raised {self.error['message']})"


def _describe(exc_info) -> dict:
    info = describe_exception(pytest.ExceptionInfo.from_exc_info(exc_info))
    return info


def _run_main(run: Run, argv: list[str]) -> None:
    module = run.module
    saved_argv = sys.argv
    sys.argv = argv
    tee_out, tee_err = Tee(sys.stdout), Tee(sys.stderr)
    handler = LogCapture()
    logger = logging.getLogger("nni")
    logger.addHandler(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(tee_out), contextlib.redirect_stderr(tee_err):
            main = module.main
            try:
                main()
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise
    except BaseException as exc:  # noqa: BLE001 - the failure is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        run.error = _describe(sys.exc_info())
    finally:
        sys.argv = saved_argv
        logger.removeHandler(handler)
        root.removeHandler(handler)
        run.seconds["main"] = round(time.perf_counter() - start, 3)
        run.log = tee_out.buffer_text.getvalue() + tee_err.buffer_text.getvalue()
        run.nni_log = handler.lines


def _last_model(run: Run, pretrained_path: Path):
    """The classifier main() worked on, or a fresh one with the grader's weights."""
    import torch

    models = [e.info.get("model") for e in run.rec.of("model_init")]
    models = [m for m in models if m is not None]
    if models:
        return models[0]
    model = run.module.FashionClassifier()
    model.load_state_dict(torch.load(pretrained_path, weights_only=True))
    return model


def _convert_leftovers(run: Run, pretrained_path: Path) -> None:
    """Call the conversion methods main() did not reach (or could not call).

    The original template's ``main`` calls ``convert_to_litert`` while the
    method to implement is ``convert_to_tflite``; a run that stopped before
    the conversions still has them graded, on the model as main() left it.
    """
    folder = run.folder
    cls = getattr(run.module, "FashionClassifier", None)
    if cls is None:
        return
    targets = [
        ("onnx", ("convert_to_onnx",)),
        ("tflite", ("convert_to_tflite", "convert_to_litert")),
    ]
    for key, methods in targets:
        path = folder / FILES[key]
        # Called by main() (its error, if any, is in the recorded event).
        if path.exists() or any(run.rec.of(m) for m in methods):
            continue
        method = next((m for m in methods if hasattr(cls, m)), None)
        if method is None:
            continue
        try:
            model = _last_model(run, pretrained_path)
            with contextlib.redirect_stdout(io.StringIO()):
                getattr(model, method)(path)
            run.conversions[key] = f"called {method} after main()"
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            run.conversions[key] = _describe(sys.exc_info())
    legacy = getattr(run.module, "convert_onnx_to_tflite", None)
    tflite = folder / FILES["tflite"]
    if callable(legacy) and not tflite.exists() and (folder / FILES["onnx"]).exists():
        try:
            legacy(folder / FILES["onnx"], tflite)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            run.conversions["tflite"] = _describe(sys.exc_info())


def _accuracies(run: Run) -> None:
    """Accuracy of the model before and after fine-tuning on the tiny test set."""
    from dl_in_iot_course.misc import fashion_net

    tuned = fine_tune_event(run)
    if tuned is None or "after" not in tuned.info:
        return
    _, _, testloader, _ = fashion_net.make_loaders(run.data, 32)
    for key in ("before", "after"):
        try:
            net = fashion_net.net_from_state_dict(tuned.info[key])
            run.accuracy[key] = fashion_net.accuracy(net, testloader)
        except Exception as exc:  # noqa: BLE001 - a changed architecture
            run.accuracy[key + "_error"] = f"{type(exc).__name__}: {exc}"


def fine_tune_event(run: Run) -> Event | None:
    """The ``train_model`` call of fine-tuning: the first after the speedup
    (or, without one, after ``compress()`` ended)."""
    calls = run.rec.of("train_model")
    speedups = run.rec.of("speedup_model")
    compresses = run.rec.of("compress")
    anchor = speedups[0] if speedups else (compresses[0] if compresses else None)
    if anchor is None:
        return None
    after = [c for c in calls if c.start > anchor.end >= 0]
    return after[0] if after else None


def _save_tune_start(run: Run) -> None:
    """Save the model fine-tuning started from (the grader compares the final one)."""
    import torch

    tuned = fine_tune_event(run)
    if tuned is not None and isinstance(tuned.info.get("before"), dict):
        with contextlib.suppress(Exception):
            torch.save(tuned.info["before"], run.folder / FILES["tune_before"])


def _save_manifest(run: Run) -> None:
    tuned = fine_tune_event(run)
    manifest = {
        "schema": 1,
        "missing": run.missing,
        "stand_ins": run.stand_ins,
        "import_error": run.import_error,
        "error": run.error,
        "steps": [e.name for e in run.rec.events if e.name != "adam"][:200],
        "sparsity": run.constants.get("SPARSITY"),
        "fine_tuned": tuned is not None and not tuned.error,
        "conversions": {
            k: v if isinstance(v, str) else {"message": v.get("message", "")}
            for k, v in run.conversions.items()
        },
        "accuracy": run.accuracy,
        "seconds": run.seconds,
    }
    text = json.dumps(manifest, indent=1, default=str)
    (run.folder / MANIFEST).write_text(text, encoding="utf-8")


def execute(artifacts: Path, scratch: Path) -> Run:
    """Run the student's ``main()`` once on the tiny configuration."""
    run = Run(folder=artifacts)
    start = time.perf_counter()
    run.missing = missing_packages()
    if run.missing:
        _save_manifest(run)
        return run
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    run.data = scratch / "structured-data"
    kind = tiny_data(run.data)
    weights = pretrained(run.data, kind, scratch)
    run.seconds["setup"] = round(time.perf_counter() - start, 3)
    install_stand_ins(run.stand_ins)
    import structured_standins

    if structured_standins.install_ai_edge_torch():
        run.stand_ins.append("ai_edge_torch")
    install_library_spies(run.rec, artifacts)
    try:
        run.module = importlib.import_module(STUDENT_MODULE)
    except BaseException as exc:  # noqa: BLE001 - the failure is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        info = _describe(sys.exc_info())
        info["code"] = "import_error"
        run.import_error = info
        _save_manifest(run)
        return run
    run.seconds["import"] = round(time.perf_counter() - start, 3)
    for name in ("SPARSITY", "TRAINING_LEARNING_RATE", "FINETUNE_LEARNING_RATE"):
        run.constants[name] = getattr(run.module, name, None)
    for name, value in PATCHED_EPOCHS.items():
        run.constants[name] = getattr(run.module, name, None)
        if hasattr(run.module, name):
            setattr(run.module, name, value)
    install_model_spies(run.rec, run.module, artifacts)
    argv = [
        "structured_pruning_experiments",
        "--input-model",
        str(weights),
        "--backup-model",
        str(artifacts / FILES["backup"]),
        "--final-model",
        str(artifacts / FILES["final"]),
        "--dataset-path",
        str(run.data),
        "--onnx-model",
        str(artifacts / FILES["onnx"]),
        "--tflite-model",
        str(artifacts / FILES["tflite"]),
    ]
    _run_main(run, argv)
    _save_tune_start(run)
    _convert_leftovers(run, weights)
    _accuracies(run)
    run.seconds["total"] = round(time.perf_counter() - start, 3)
    _save_manifest(run)
    return run


@pytest.fixture(scope="session")
def structured_run(tmp_path_factory) -> Run:
    """The one run of the student's ``main()`` that every test examines."""
    folder = CONTRACT.artifacts if CONTRACT else ""
    artifacts = Path(folder) if folder else tmp_path_factory.mktemp("artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    return execute(artifacts, tmp_path_factory.mktemp("structured"))
