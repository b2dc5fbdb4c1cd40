"""Fixtures of the lab-03 hidden tests (a pytest plugin: ``-p l03_fixtures``).

Everything expensive happens once per pytest process: TensorFlow is imported
once, and each model variant of the student (``clustered-2`` ...) is built
once and then examined by several tests. The tiny data set and the tiny
model ("masters") are built by the grader before the run, outside the
student's process, with :func:`build_masters`; the run reads them from a
read-only folder and works on copies.

Spies wrap the TFMOT and Keras entry points before the student's module is
imported, so the tests can tell *how* the student's code called them
(``cluster_weights`` arguments, what ``fit`` got) while the grader checks the
written ``.tflite`` files itself afterwards (``grading/hidden/artifacts.py``).

What the grader passes (``grader_contract.py``): the artifacts folder (the
models, the student's outputs and ``manifest.json``, read by the grader
afterwards), the read-only masters folder, the student's working copy (the
import must come from it) and what the submission's template version asks.
"""

from __future__ import annotations

import importlib
import inspect as inspect_module
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
from grader_plugin import CONTRACT, Expected, describe_exception, short_error

HERE = Path(__file__).resolve().parent
SPEC = tomllib.loads((HERE / "artifacts.toml").read_text(encoding="utf-8"))
STUDENT_MODULE = (
    "dl_in_iot_course.l03_pruning_clustering.pruning_clustering_experiments"
)
NUM_CLASSES = 4
PER_CLASS = 10
TIMINGS: dict[str, float] = {}


def asked(word: str) -> bool:
    """True when the template version asks ``word`` (all are, without ``asks``)."""
    raw = CONTRACT.asks if CONTRACT else None
    return raw is None or word in {a.strip() for a in raw.split(",")}


def frozen_layer() -> str:
    """The layer of the tiny model that comes frozen (``""``: none)."""
    requires = str(SPEC.get("frozen_layer_requires", ""))
    return str(SPEC.get("frozen_layer", "")) if asked(requires) else ""


def models_of(kind: str) -> list[dict]:
    """Return the model entries of ``artifacts.toml`` of one kind."""
    return [m for m in SPEC["model"] if m["kind"] == kind]


def make_inputs() -> np.ndarray:
    """Inputs of the outputs check; ``grading.hidden.artifacts.make_inputs`` twin."""
    rng = np.random.default_rng(int(SPEC["inputs_seed"]))
    shape = [int(SPEC["inputs_count"]), *[int(s) for s in SPEC["input_shape"]]]
    return rng.standard_normal(shape).astype(np.float32)


# ----------------------------------------------------------------- folders


def _artifacts_dir() -> Path:
    folder = CONTRACT.artifacts if CONTRACT else ""
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="l03-artifacts-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder the grader reads after the run."""
    return _artifacts_dir()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Path:
    """Private scratch folder of this run."""
    return tmp_path_factory.mktemp("l03")


# --------------------------------------------------------------------- spies


@dataclass
class Call:
    """One recorded call of a spied function."""

    name: str
    args: tuple
    kwargs: dict
    info: dict = field(default_factory=dict)
    bound: dict = field(default_factory=dict)
    result: Any = None
    error: str = ""
    finished: bool = False


class Spies:
    """Wrap library functions and record how they are called.

    Only outermost calls are recorded (a library function calling another
    spied one internally is not the student's call).
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.pairs: list[tuple[Any, Any]] = []
        self._depth = 0

    def reset(self) -> None:
        """Forget the recorded calls (before building the next variant)."""
        self.calls = []

    def of(self, name: str) -> list[Call]:
        """Return the recorded calls of ``name``."""
        return [c for c in self.calls if c.name == name]

    def wrap(self, name: str, function, inspect=None):
        """Return a spy around ``function`` (``inspect(args, kwargs) -> dict``)."""
        spies = self
        try:
            signature = inspect_module.signature(function)
        except (TypeError, ValueError):
            signature = None

        def spy(*args, **kwargs):
            if spies._depth:
                return function(*args, **kwargs)
            call = Call(name, args, kwargs)
            if signature is not None:
                try:
                    call.bound = dict(signature.bind_partial(*args, **kwargs).arguments)
                except TypeError:
                    call.bound = {}
            if inspect is not None:
                try:
                    call.info = inspect(args, kwargs)
                except Exception as exc:  # noqa: BLE001 - never break the student
                    call.info = {"inspect_error": repr(exc)}
            spies.calls.append(call)
            spies._depth += 1
            try:
                call.result = function(*args, **kwargs)
                return call.result
            except BaseException as exc:
                call.error = short_error(f"{type(exc).__name__}: {exc}")[:1500]
                raise
            finally:
                call.finished = True
                spies._depth -= 1

        spy.__wrapped__ = function
        spy.__name__ = getattr(function, "__name__", name)
        spy.__doc__ = getattr(function, "__doc__", None)
        self.pairs.append((spy, function))
        return spy


def _all_layers(model) -> list:
    """Every layer of a model, nested models included."""
    out = []
    for layer in getattr(model, "layers", []) or []:
        out.append(layer)
        if getattr(layer, "layers", None):
            out.extend(_all_layers(layer))
    return out


def _trainable_state(model) -> dict:
    layers = _all_layers(model)
    frozen = [
        getattr(x, "name", "?") for x in layers if not getattr(x, "trainable", True)
    ]
    return {
        "model_trainable": bool(getattr(model, "trainable", True)),
        "frozen_layers": frozen,
        "layers": len(layers),
    }


def _arg(args: tuple, kwargs: dict, position: int, name: str, default=None):
    if name in kwargs:
        return kwargs[name]
    if len(args) > position:
        return args[position]
    return default


@pytest.fixture(scope="session")
def spies() -> Spies:
    """Install the spies (before the student's module is imported)."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    start = time.perf_counter()
    import tensorflow_model_optimization as tfmot
    import tf_keras
    from tensorflow_model_optimization.python.core.clustering.keras import cluster
    from tensorflow_model_optimization.python.core.sparsity.keras import prune

    spies = Spies()
    TIMINGS["tf_import"] = round(time.perf_counter() - start, 3)

    def cluster_info(args, kwargs):
        model = _arg(args, kwargs, 0, "to_cluster")
        info = {
            "number_of_clusters": _arg(args, kwargs, 1, "number_of_clusters"),
            "init": str(_arg(args, kwargs, 2, "cluster_centroids_init")),
            "model_class": f"{type(model).__module__}.{type(model).__name__}",
        }
        info.update(_trainable_state(model))
        return info

    def prune_info(args, kwargs):
        model = _arg(args, kwargs, 0, "to_prune")
        info = {
            "model_class": f"{type(model).__module__}.{type(model).__name__}",
            "schedule_id": id(kwargs.get("pruning_schedule")),
            "schedule": repr(kwargs.get("pruning_schedule")),
        }
        info.update(_trainable_state(model))
        return info

    def fit_info(args, kwargs):
        callbacks = kwargs.get("callbacks") or (args[5] if len(args) > 5 else None)
        if not isinstance(callbacks, list | tuple):
            callbacks = [callbacks] if callbacks is not None else []
        return {"callbacks": [type(c).__name__ for c in callbacks]}

    targets = [
        (tfmot.clustering.keras, cluster, "cluster_weights", cluster_info),
        (tfmot.clustering.keras, cluster, "strip_clustering", None),
        (tfmot.sparsity.keras, prune, "prune_low_magnitude", prune_info),
        (tfmot.sparsity.keras, prune, "strip_pruning", None),
    ]
    for api, impl, name, inspect in targets:
        original = getattr(api, name)
        spy = spies.wrap(name, original, inspect)
        setattr(api, name, spy)
        if getattr(impl, name, None) is original:
            setattr(impl, name, spy)
    model_cls = tf_keras.Model
    model_cls.compile = spies.wrap("compile", model_cls.compile)
    model_cls.fit = spies.wrap("fit", model_cls.fit, lambda a, k: fit_info(a[1:], k))
    return spies


# ------------------------------------------------------------ student module


@pytest.fixture(scope="session")
def student(spies):
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
    # Names bound with "from tfmot... import cluster_weights" point to the
    # original function: rebind them to the spies.
    by_original = {id(original): spy for spy, original in spies.pairs}
    for name, value in list(vars(module).items()):
        spy = by_original.get(id(value))
        if spy is not None:
            setattr(module, name, spy)
    return module


def student_class(module, name: str):
    """Return ``module.<name>`` or fail with a clear message."""
    cls = getattr(module, name, None)
    if cls is None:
        raise Expected(
            f"a class {name} in {STUDENT_MODULE}", "no such class", code="missing_class"
        )
    return cls


# -------------------------------------------------------------- data, model


def _build_tiny_model(path: Path, frozen: str) -> None:
    """A small CNN with the lab's input and fixed weights; ``frozen`` comes frozen.

    One convolution and one dense layer: each kind of kernel the artifact
    checks look at (unique values, sparsity, kinship) once, and no more,
    since every wrapped layer adds to what TFMOT, ``fit``'s tracing and the
    converter cost in each of the student's variants (measured on 2 busy
    cores: the reference's four variants took 11-14 CPU seconds with this
    model, 19.7 with one more convolution and one more dense layer).
    """
    import tf_keras

    tf_keras.utils.set_random_seed(1234)
    layers = tf_keras.layers
    inputs = tf_keras.Input((224, 224, 3))
    x = layers.Conv2D(8, 3, strides=4, activation="relu", name="stem")(inputs)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    model = tf_keras.Model(inputs, outputs, name="tiny_pets")
    # Like the lab's backbone, part of the model comes frozen where the
    # template version asks to make the whole model trainable first.
    if frozen:
        model.get_layer(frozen).trainable = False
    model.save(path, save_format="h5")


def _convert(h5: Path, target: Path) -> None:
    import tensorflow as tf
    import tf_keras

    model = tf_keras.models.load_model(h5, compile=False)
    target.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


def build_masters(folder: Path) -> None:
    """Build the data set tree, the tiny ``.h5`` and its FP32 ``.tflite``.

    The grader calls this before the student's run, in a process of its own
    without student code (``[hidden_tests] masters`` of the rubric), so the
    original model the artifact checks compare against is never made where
    the student's code runs.
    """
    from dl_in_iot_course.misc.embedded import make_pets_tree

    folder = Path(folder)
    make_pets_tree(
        folder / "pets",
        num_classes=NUM_CLASSES,
        per_class=PER_CLASS,
        image_size=(64, 64),
        seed=3,
    )
    _build_tiny_model(folder / "tiny.h5", str(SPEC.get("frozen_layer", "")))
    _build_tiny_model(folder / "tiny-trainable.h5", "")
    _convert(folder / "tiny.h5", folder / "fp32.tflite")
    try:
        import structured_fixtures
    except ImportError:  # part 2's plugin is not in this suite
        structured_fixtures = None
    if structured_fixtures is not None:
        structured_fixtures.build_masters(folder / "structured")
    (folder / "done").write_text("ok", encoding="utf-8")


@pytest.fixture(scope="session")
def masters(scratch) -> Path:
    """Folder with the grader's data set tree, tiny ``.h5`` and FP32 ``.tflite``."""
    import tensorflow  # noqa: F401 - one import, before the timings below

    given = CONTRACT.masters if CONTRACT else ""
    if given and (Path(given) / "done").is_file():
        return Path(given)
    folder = scratch / "masters"  # a run without the grader builds its own
    if not (folder / "done").is_file():
        build_masters(folder)
    return folder


@pytest.fixture(scope="session")
def dataset(masters, scratch, student):
    """The course's PetDataset on a private copy of the tiny tree."""
    from dl_in_iot_course.misc.pet_dataset import PetDataset

    root = scratch / "pets"
    if not root.exists():
        shutil.copytree(masters / "pets", root)
    return PetDataset(root)


@pytest.fixture(scope="session")
def original_model(masters) -> Path:
    """The master tiny Keras model; each variant gets its own copy of it.

    Its first layer comes frozen only where the version asks to make the
    model trainable (:func:`frozen_layer`).
    """
    return masters / ("tiny.h5" if frozen_layer() else "tiny-trainable.h5")


# ------------------------------------------------------------------ variants


@dataclass
class Built:
    """A student's model variant after construction."""

    variant: str
    obj: Any
    error: dict | None
    calls: list[Call]
    modelpath: Path
    seconds: float

    def of(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def raise_error(self, what: str) -> None:
        """Fail with the construction error, if there was one."""
        if self.error:
            seen = f"{self.error['where']} raised {self.error['message']}"
            raise Expected(
                what,
                seen,
                code=self.error.get("code", ""),
                evidence=self.error.get("evidence", ""),
            )


class Builder:
    """Builds each variant once and writes ``manifest.json`` after each."""

    def __init__(self, student, spies, dataset, original, artifacts, scratch):
        self.student = student
        self.spies = spies
        self.dataset = dataset
        self.original = original
        self.artifacts = artifacts
        self.scratch = scratch
        self.built: dict[str, Built] = {}
        self.manifest: dict[str, Any] = {"variants": {}, "timings": TIMINGS}

    def _save_manifest(self) -> None:
        path = self.artifacts / "manifest.json"
        path.write_text(json.dumps(self.manifest, indent=1), encoding="utf-8")

    def record_error(self, variant: str, error: dict) -> None:
        """Note an error of the student's code met after construction."""
        entry = self.manifest["variants"].setdefault(variant, {})
        entry["error"] = error
        self._save_manifest()

    def get(self, variant: str) -> Built:
        """Return the built variant (building it on first use)."""
        if variant in self.built:
            return self.built[variant]
        model = next(m for m in SPEC["model"] if m["variant"] == variant)
        kind = model["kind"]
        modelpath = self.artifacts / model["file"]
        # The student's code must write the model itself.
        if kind != "outputs" and modelpath.exists():
            modelpath.unlink()
        original = self.scratch / f"original-{variant}.h5"
        shutil.copyfile(self.original, original)
        logdir = self.scratch / f"logs-{variant}"
        if kind == "clustered":
            cls_name, kwargs = "ClusteredModel", {"num_clusters": model["num_clusters"]}
            args = (self.dataset, modelpath, original, logdir)
            where = f"ClusteredModel(..., num_clusters={model['num_clusters']})"
        elif kind == "pruned":
            cls_name = "PrunedModel"
            kwargs = {"target_sparsity": model["target_sparsity"]}
            args = (self.dataset, modelpath, original, logdir)
            where = f"PrunedModel(..., target_sparsity={model['target_sparsity']})"
        else:
            cls_name, kwargs = "TFMOTOptimizedModel", {}
            args = (self.dataset, modelpath)
            where = "TFMOTOptimizedModel(dataset, modelpath)"
        cls = student_class(self.student, cls_name)
        self.spies.reset()
        obj, error = None, None
        start = time.perf_counter()
        try:
            obj = cls.__new__(cls)
            obj.__init__(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the failure is the finding
            if isinstance(exc, KeyboardInterrupt):
                raise
            info = pytest.ExceptionInfo.from_exc_info(sys.exc_info())
            error = describe_exception(info)
            error["where"] = where
        built = Built(
            variant,
            obj,
            error,
            list(self.spies.calls),
            modelpath,
            time.perf_counter() - start,
        )
        self.spies.reset()
        self.built[variant] = built
        self.manifest["variants"][variant] = {
            "error": error,
            "seconds": round(built.seconds, 3),
            "written": modelpath.exists(),
        }
        self._save_manifest()
        return built


@pytest.fixture(scope="session")
def builder(student, spies, dataset, original_model, artifacts, scratch, masters):
    """Build student variants once per session."""
    shutil.copyfile(masters / "fp32.tflite", artifacts / "fp32.tflite")
    return Builder(student, spies, dataset, original_model, artifacts, scratch)


def optimized_attrs(obj) -> dict:
    """The objects ``optimize_model`` prepared (missing ones are absent)."""
    names = ("traindataset", "validdataset", "optimizer", "loss", "metrics", "epochs")
    return {n: getattr(obj, n) for n in names if obj is not None and hasattr(obj, n)}
