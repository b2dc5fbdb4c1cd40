"""Fixtures of the lab-02 hidden tests (a pytest plugin: ``-p l02_fixtures``).

TensorFlow is imported once, the tiny data set and the tiny Keras model are
made once (or copied from the cache folder shared between gradings), and
each variant of the student (``fp32``, ``int8-0.3`` ...) is built once and
examined by several tests.

Spies are installed before the student's module is imported:

- every TFLite converter's ``convert`` records the converter settings and
  wraps its representative data set, so the tests count the calibration
  samples the converter really drew and tell their classes;
- the LiteRT and ``tf.lite`` interpreters' ``invoke`` and ``set_tensor``
  record when inference runs and what the student put into the input.

The tiny data set, the tiny Keras model, the grader's own FP32 conversion
and the Keras model's outputs ("masters") are built by the grader before the
run, outside the student's process, with :func:`build_masters`; the run
reads them from a read-only folder. The written ``.tflite`` files are
verified by the grader itself afterwards
(``grading/hidden/quantized_artifacts.py``). Where things go comes from the
grader's contract (``grader_plugin.CONTRACT``), as for lab 03.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from grader_plugin import CONTRACT, Expected, describe_exception

HERE = Path(__file__).resolve().parent
SPEC = tomllib.loads((HERE / "artifacts.toml").read_text(encoding="utf-8"))
STUDENT_MODULE = "dl_in_iot_course.l02_quantization.quantization_experiments"
NUM_CLASSES = 4
PER_CLASS = 10
MODEL_VERSION = 1
TIMINGS: dict[str, float] = {}


def make_inputs() -> np.ndarray:
    """Inputs of the outputs checks; ``grading.hidden.artifacts.make_inputs`` twin."""
    rng = np.random.default_rng(int(SPEC["inputs_seed"]))
    shape = [int(SPEC["inputs_count"]), *[int(s) for s in SPEC["input_shape"]]]
    return rng.standard_normal(shape).astype(np.float32)


def model_entry(variant: str, kind: str) -> dict:
    """Return the ``artifacts.toml`` entry of ``variant`` of one kind."""
    return next(
        m for m in SPEC["model"] if m["variant"] == variant and m["kind"] == kind
    )


def sample_key(sample: Any) -> str | None:
    """Fingerprint of one calibration sample (its first array), or None."""
    try:
        while isinstance(sample, list | tuple) and sample:
            sample = sample[0]
        if isinstance(sample, dict) and sample:
            sample = next(iter(sample.values()))
        value = np.asarray(sample, dtype=np.float32).reshape(-1)
    except Exception:  # noqa: BLE001 - an odd sample has no class
        return None
    if value.size == 0:
        return None
    return hashlib.sha1(np.round(value, 3).tobytes()).hexdigest()


# --------------------------------------------------------------------- spies


@dataclass
class Conversion:
    """One call of a TFLite converter's ``convert``."""

    settings: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    error: str = ""


class Spies:
    """Records of the converter and the interpreters while a variant runs."""

    def __init__(self) -> None:
        self.conversions: list[Conversion] = []
        self.invokes: list[Any] = []
        self.set_tensors: list[tuple[Any, int, np.ndarray]] = []
        self._depth = 0

    def reset(self) -> None:
        self.conversions, self.invokes, self.set_tensors = [], [], []


def _settings(converter) -> dict:
    spec = getattr(converter, "target_spec", None)
    return {
        "optimizations": [
            str(o) for o in getattr(converter, "optimizations", []) or []
        ],
        "supported_ops": [str(o) for o in getattr(spec, "supported_ops", []) or []],
        "input_type": str(getattr(converter, "inference_input_type", None)),
        "output_type": str(getattr(converter, "inference_output_type", None)),
        "representative": getattr(converter, "representative_dataset", None)
        is not None,
    }


def _wrap_representative(converter, record: Conversion) -> None:
    data = getattr(converter, "representative_dataset", None)
    if data is None:
        return
    source = getattr(data, "input_gen", data)
    if not callable(source):
        return

    def counted():
        for sample in source():
            record.samples.append(sample_key(sample))
            yield sample

    if hasattr(data, "input_gen"):
        data.input_gen = counted
    else:
        converter.representative_dataset = counted


def _install(spies: Spies) -> None:
    from ai_edge_litert import interpreter as litert
    from tensorflow.lite.python import lite

    def convert_spy(original):
        def convert(self, *args, **kwargs):
            if spies._depth:
                return original(self, *args, **kwargs)
            record = Conversion(_settings(self))
            spies.conversions.append(record)
            _wrap_representative(self, record)
            spies._depth += 1
            try:
                return original(self, *args, **kwargs)
            except BaseException as exc:
                record.error = f"{type(exc).__name__}: {exc}"[:1500]
                raise
            finally:
                spies._depth -= 1

        convert.__wrapped__ = original
        return convert

    for name in dir(lite):
        cls = getattr(lite, name)
        if (
            isinstance(cls, type)
            and "convert" in vars(cls)
            and name.startswith("TFLite")
        ):
            cls.convert = convert_spy(cls.convert)

    classes = {litert.Interpreter}
    with contextlib.suppress(Exception):
        import tensorflow as tf

        classes.add(tf.lite.Interpreter)
    for cls in classes:
        invoke, set_tensor = cls.invoke, cls.set_tensor

        def spy_invoke(self, *a, _invoke=invoke, **k):
            spies.invokes.append(self)
            return _invoke(self, *a, **k)

        def spy_set(self, index, value, *a, _set=set_tensor, **k):
            with contextlib.suppress(Exception):
                spies.set_tensors.append((self, int(index), np.array(value)))
            return _set(self, index, value, *a, **k)

        cls.invoke, cls.set_tensor = spy_invoke, spy_set


@pytest.fixture(scope="session")
def spies() -> Spies:
    """Install the spies (before the student's module is imported)."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    start = time.perf_counter()
    import tensorflow  # noqa: F401

    TIMINGS["tf_import"] = round(time.perf_counter() - start, 3)
    spies = Spies()
    _install(spies)
    return spies


# ------------------------------------------------------------------ folders


def _artifacts_dir() -> Path:
    folder = CONTRACT.artifacts if CONTRACT else ""
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="l02-artifacts-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder the grader reads after the run."""
    return _artifacts_dir()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Path:
    """Private scratch folder of this run."""
    return tmp_path_factory.mktemp("l02")


def _build_tiny_model(path: Path) -> None:
    """A small CNN with the lab's input and fixed weights."""
    import tf_keras

    tf_keras.utils.set_random_seed(2026)
    layers = tf_keras.layers
    inputs = tf_keras.Input((224, 224, 3))
    x = layers.Conv2D(8, 3, strides=4, activation="relu", name="stem")(inputs)
    x = layers.Conv2D(16, 3, strides=4, activation="relu", name="block")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(32, activation="relu", name="features")(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    tf_keras.Model(inputs, outputs, name="tiny_l02").save(path, save_format="h5")


def build_masters(folder: Path) -> None:
    """Build the data set tree, the tiny ``.h5``, its FP32 ``.tflite`` and outputs.

    The grader calls this before the student's run, in a process of its own
    without student code (``[hidden_tests] masters`` of the rubric), so the
    Keras outputs and the FP32 model the artifact checks compare against are
    never made where the student's code runs.
    """
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    import tf_keras

    from dl_in_iot_course.misc.embedded import make_pets_tree

    folder = Path(folder)
    make_pets_tree(
        folder / "pets",
        num_classes=NUM_CLASSES,
        per_class=PER_CLASS,
        image_size=(64, 64),
        seed=5,
    )
    _build_tiny_model(folder / "tiny.h5")
    model = tf_keras.models.load_model(folder / "tiny.h5", compile=False)
    np.save(folder / SPEC["keras_outputs"], model.predict(make_inputs(), verbose=0))
    converted = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (folder / SPEC["original"]).write_bytes(converted)
    (folder / "done").write_text("ok", encoding="utf-8")


@pytest.fixture(scope="session")
def masters(scratch, spies) -> Path:
    """Folder with the grader's data set tree, tiny ``.h5`` and Keras outputs."""
    given = CONTRACT.masters if CONTRACT else ""
    if given and (Path(given) / "done").is_file():
        return Path(given)
    folder = scratch / "masters"  # a run without the grader builds its own
    if not (folder / "done").is_file():
        build_masters(folder)
    return folder


# ------------------------------------------------------------ student module


@pytest.fixture(scope="session")
def student(spies, masters):
    """The student's module, imported from the working copy."""
    try:
        module = importlib.import_module(STUDENT_MODULE)
    except BaseException as exc:  # noqa: BLE001 - the failure is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        info = describe_exception(pytest.ExceptionInfo.from_exc_info(sys.exc_info()))
        info["message"] = f"importing the module failed with {info['message']}"
        info["code"] = "import_error"
        manifest = _artifacts_dir() / "manifest.json"
        manifest.write_text(json.dumps({"import_error": info}), encoding="utf-8")
        raise Expected(
            f"the module {STUDENT_MODULE} to import on a fresh clone",
            info["message"],
            code="import_error",
            evidence=info["evidence"],
        ) from None
    workcopy = CONTRACT.workcopy if CONTRACT else ""
    if workcopy and not str(Path(module.__file__).resolve()).startswith(
        str(Path(workcopy).resolve())
    ):
        raise RuntimeError(
            f"grader error: {STUDENT_MODULE} was imported from {module.__file__}, "
            f"not from the working copy {workcopy}"
        )
    return module


@pytest.fixture(scope="session")
def dataset(masters, scratch, student):
    """The course's PetDataset on a private copy of the tiny tree."""
    from dl_in_iot_course.misc.pet_dataset import PetDataset

    root = scratch / "pets"
    if not root.exists():
        shutil.copytree(masters / "pets", root)
    return PetDataset(root)


@pytest.fixture(scope="session")
def sample_classes(dataset) -> dict[str, int]:
    """Fingerprint of every image of the data set -> its class id."""
    return {
        sample_key(dataset.prepare_input_sample(path)): label
        for path, label in zip(dataset.dataX, dataset.dataY, strict=True)
    }


def balanced_count(dataset, share: float) -> int:
    """Samples the course's stratified calibration set holds for ``share``."""
    _, chosen = dataset.stratified_indices(dataset.trainvalY, share, 1234)
    return max(1, len(chosen))


# ------------------------------------------------------------------ variants

#: variant -> (class name, keyword arguments, model file or "" for the .h5)
VARIANTS = {
    "native": ("NativeModel", {}, ""),
    "fp32": ("FP32Model", {}, "fp32.tflite"),
    "int8-0.3": ("INT8Model", {"calibrationdatasetpercent": 0.3}, "int8-0.3.tflite"),
    "int8-0.8": ("INT8Model", {"calibrationdatasetpercent": 0.8}, "int8-0.8.tflite"),
    "imbint8": (
        "ImbalancedINT8Model",
        {"calibrationdatasetpercent": 0.3},
        "imbint8.tflite",
    ),
}


@dataclass
class Built:
    """A student's model variant after construction, and what the spies saw."""

    variant: str
    obj: Any
    error: dict | None
    conversions: list[Conversion]
    stdout: str
    modelpath: Path
    seconds: float

    def raise_error(self, what: str) -> None:
        """Fail with the construction error, if there was one."""
        if self.error:
            raise Expected(
                what,
                f"{self.error['where']} raised {self.error['message']}",
                code=self.error.get("code", ""),
                evidence=self.error.get("evidence", ""),
            )


class Builder:
    """Builds each variant once and writes ``manifest.json`` after each."""

    def __init__(self, student, spies, dataset, masters, artifacts, scratch):
        self.student, self.spies, self.dataset = student, spies, dataset
        self.masters, self.artifacts, self.scratch = masters, artifacts, scratch
        self.built: dict[str, Built] = {}
        self.manifest: dict[str, Any] = {"variants": {}, "timings": TIMINGS}

    def _save_manifest(self) -> None:
        path = self.artifacts / "manifest.json"
        path.write_text(json.dumps(self.manifest, indent=1), encoding="utf-8")

    def record_error(self, variant: str, error: dict) -> None:
        """Note an error of the student's code met after construction."""
        self.manifest["variants"].setdefault(variant, {})["error"] = error
        self._save_manifest()

    def get(self, variant: str) -> Built:
        """Return the built variant (building it on first use)."""
        if variant in self.built:
            return self.built[variant]
        cls_name, kwargs, file = VARIANTS[variant]
        original = self.scratch / f"original-{variant}.h5"
        shutil.copyfile(self.masters / "tiny.h5", original)
        if file:
            modelpath = self.artifacts / file
            modelpath.unlink(missing_ok=True)
            args = (self.dataset, modelpath, original)
        else:
            modelpath = original
            args = (self.dataset, original)
        shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        given = "dataset, modelpath" + (", originalmodel" if file else "")
        where = f"{cls_name}({given}{', ' + shown if shown else ''})"
        cls = getattr(self.student, cls_name, None)
        if cls is None:
            raise Expected(f"a class {cls_name} in {STUDENT_MODULE}", "no such class")
        self.spies.reset()
        obj, error, out = None, None, io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out):
                obj = cls(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the failure is the finding
            if isinstance(exc, KeyboardInterrupt):
                raise
            error = describe_exception(
                pytest.ExceptionInfo.from_exc_info(sys.exc_info())
            )
            error["where"] = where
        built = Built(
            variant,
            obj,
            error,
            list(self.spies.conversions),
            out.getvalue(),
            modelpath,
            time.perf_counter() - start,
        )
        self.built[variant] = built
        self.manifest["variants"][variant] = {
            "error": error,
            "seconds": round(built.seconds, 3),
            "written": bool(file) and modelpath.exists(),
        }
        self._save_manifest()
        return built


@pytest.fixture(scope="session")
def builder(student, spies, dataset, masters, artifacts, scratch):
    """Build student variants once per session."""
    shutil.copyfile(masters / SPEC["keras_outputs"], artifacts / SPEC["keras_outputs"])
    return Builder(student, spies, dataset, masters, artifacts, scratch)


def run_steps(built: Built, spies: Spies, X: np.ndarray) -> dict[str, Any]:
    """Run the student's three inference steps on ``X`` and record each one.

    Returns ``{"set": [(interpreter, index, value)], "invokes": {step: n},
    "raw": the output tensor read from the interpreter after invoke,
    "interpreter": the one invoked, "Y": run_inference's result, "Z":
    postprocess_outputs's result}``.
    """
    obj, record = built.obj, {"invokes": {}}
    spies.reset()
    obj.preprocess_input(X)
    record["set"] = list(spies.set_tensors)
    record["invokes"]["preprocess_input"] = len(spies.invokes)
    spies.reset()
    record["Y"] = obj.run_inference()
    record["invokes"]["run_inference"] = len(spies.invokes)
    record["interpreter"] = spies.invokes[-1] if spies.invokes else None
    if record["interpreter"] is not None:
        out = record["interpreter"].get_output_details()[0]
        record["raw"] = np.array(record["interpreter"].get_tensor(out["index"]))
    spies.reset()
    record["Z"] = obj.postprocess_outputs(record["Y"])
    record["invokes"]["postprocess_outputs"] = len(spies.invokes)
    return record
