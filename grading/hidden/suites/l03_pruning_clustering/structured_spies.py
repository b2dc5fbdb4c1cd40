"""Spies of the structured-pruning hidden run (used by ``structured_fixtures``).

They wrap the library entry points a solution must call (NNI's trace,
pruner constructors, ``compress``, ``show_pruned_weights``,
``ModelSpeedup``, ``torch.optim.Adam``) and the student's classifier
(``__init__``, ``train_model``, ``evaluate``, the conversion methods), and
record each outermost call in order, with what the tests need to judge it.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILES = {
    "final": "structured-final.pth",
    "speedup": "structured-speedup.pth",
    "masks": "structured-masks.pth",
    "tune_before": "structured-tune-before.pth",
    "backup": "structured-backup.pth",
    "onnx": "structured.onnx",
    "tflite": "structured.tflite",
    "onnx_source": "structured-onnx-source.pth",
    "tflite_source": "structured-tflite-source.pth",
}


@dataclass
class Event:
    """One recorded call, in order."""

    name: str
    info: dict = field(default_factory=dict)
    obj: Any = None
    error: str = ""
    finished: bool = False
    start: int = 0
    end: int = -1


class Recorder:
    """Ordered record of the library calls of one run."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.clock = 0
        self.depth: dict[str, int] = {}
        self.restore: list[tuple[Any, str, Any]] = []

    def of(self, name: str) -> list[Event]:
        """Return the events of ``name``, in order."""
        return [e for e in self.events if e.name == name]

    def index(self, event: Event | None) -> int:
        """When ``event`` started, in the run's order (-1 when None)."""
        return event.start if event is not None else -1

    def tick(self) -> int:
        """Next point of the run's order."""
        self.clock += 1
        return self.clock

    def patch(self, owner, attr: str, name: str, before=None, after=None) -> None:
        """Replace ``owner.attr`` by a spy that records outermost calls."""
        original = getattr(owner, attr)
        recorder = self

        def spy(*args, **kwargs):
            if recorder.depth.get(name):
                return original(*args, **kwargs)
            event = Event(name, start=recorder.tick())
            if before is not None:
                try:
                    event.info = before(args, kwargs) or {}
                except Exception as exc:  # noqa: BLE001 - never break the student
                    event.info = {"inspect_error": repr(exc)}
            recorder.events.append(event)
            recorder.depth[name] = recorder.depth.get(name, 0) + 1
            try:
                event.obj = original(*args, **kwargs)
                if after is not None:
                    with contextlib.suppress(Exception):
                        after(event, args, kwargs)
                return event.obj
            except BaseException as exc:
                event.error = f"{type(exc).__name__}: {exc}"[:1500]
                raise
            finally:
                event.finished = True
                event.end = recorder.tick()
                recorder.depth[name] -= 1

        spy.__wrapped__ = original
        for key in ("__name__", "__qualname__", "__doc__"):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(spy, key, getattr(original, key))
        self.restore.append((owner, attr, original))
        setattr(owner, attr, spy)


def _arg(args, kwargs, position: int, name: str, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _shape(value) -> list[int] | None:
    shape = getattr(value, "shape", None)
    return [int(s) for s in shape] if shape is not None else None


def install_library_spies(rec: Recorder, folder: Path | None = None) -> None:
    """Spy on NNI and torch entry points (before the student module is imported)."""
    import nni
    import torch
    from nni.algorithms.compression.v2.pytorch.base import compressor as base_compressor
    from nni.algorithms.compression.v2.pytorch.base import pruner as base_pruner
    from nni.algorithms.compression.v2.pytorch.pruning import basic_pruner
    from nni.compression.pytorch.speedup import compressor

    def trace_info(args, kwargs):
        target = args[0] if args else kwargs.get("cls_or_func")
        return {"target": getattr(target, "__name__", repr(target)), "fn": target}

    rec.patch(nni, "trace", "trace", trace_info)

    def evaluator_info(args, kwargs):
        pruner, model = args[0], args[1]
        rest, kw = tuple(args[5]), dict(args[6])
        old_api = list(args[3])
        values = dict(zip(old_api, rest, strict=False))
        values.update({k: v for k, v in kw.items() if k in old_api or k == "evaluator"})
        return {
            "cls": type(pruner).__name__,
            "model": model,
            "values": values,
            "param_ids": {id(p) for p in model.parameters()},
        }

    rec.patch(
        basic_pruner.EvaluatorBasedPruner, "_init_evaluator", "pruner", evaluator_info
    )

    def compress_info(args, kwargs):
        pruner = args[0]
        return {
            "cls": type(pruner).__name__,
            "config_list": getattr(pruner, "config_list", None),
            "model": getattr(pruner, "bound_model", None),
        }

    def compress_after(event, args, kwargs):
        # The masks, for the grader's own check that compress() pruned.
        result = event.obj
        masks = result[1] if isinstance(result, tuple) and len(result) > 1 else None
        if not isinstance(masks, dict) or folder is None:
            return
        plain = {
            str(layer): {str(k): v.detach().cpu().clone() for k, v in m.items()}
            for layer, m in masks.items()
            if isinstance(m, dict)
        }
        torch.save(plain, folder / FILES["masks"])

    rec.patch(
        basic_pruner.BasicPruner, "compress", "compress", compress_info, compress_after
    )

    def compressor_info(args, kwargs):
        config = _arg(args, kwargs, 2, "config_list")
        return {
            "cls": type(args[0]).__name__,
            "model": _arg(args, kwargs, 1, "model"),
            "config_list": copy.deepcopy(config),
        }

    rec.patch(
        base_compressor.Compressor, "__init__", "compressor_init", compressor_info
    )
    rec.patch(base_pruner.Pruner, "show_pruned_weights", "show_pruned_weights")

    def speedup_info(args, kwargs):
        return {
            "model": _arg(args, kwargs, 1, "model"),
            "dummy_shape": _shape(_arg(args, kwargs, 2, "dummy_input")),
            "masks": _arg(args, kwargs, 3, "masks_file"),
        }

    rec.patch(compressor.ModelSpeedup, "__init__", "speedup_init", speedup_info)

    def speedup_after(event, args, kwargs):
        model = getattr(args[0], "bound_model", None)
        if model is not None and folder is not None:
            torch.save(model.state_dict(), folder / FILES["speedup"])

    rec.patch(
        compressor.ModelSpeedup, "speedup_model", "speedup_model", None, speedup_after
    )
    install_torch_spies(rec)


def install_torch_spies(rec: Recorder) -> None:
    """Spy on ``torch.optim.Adam`` and scale the original template's split."""
    import torch

    original_init = torch.optim.Adam.__init__

    def adam_init(self, params, *args, **kwargs):
        # The parameters may come as a generator: record them, pass a list.
        params = list(params)
        ids = set()
        for entry in params:
            group = entry.get("params", []) if isinstance(entry, dict) else entry
            group = list(group) if isinstance(group, list | tuple) else [group]
            ids.update(id(p) for p in group)
        lr = kwargs.get("lr", args[0] if args else 0.001)
        event = Event("adam", {"lr": float(lr), "ids": ids}, obj=self, start=rec.tick())
        rec.events.append(event)
        return original_init(self, params, *args, **kwargs)

    rec.restore.append((torch.optim.Adam, "__init__", original_init))
    torch.optim.Adam.__init__ = adam_init

    def random_split(dataset, lengths, *args, **kwargs):
        # The original template splits 60,000 images into 40,000 and 20,000:
        # scale the lengths to the tiny data set.
        total = len(dataset)
        if all(isinstance(x, int) for x in lengths) and sum(lengths) != total:
            scaled = [int(x * total / sum(lengths)) for x in lengths]
            scaled[-1] = total - sum(scaled[:-1])
            lengths = scaled
        return original_split(dataset, lengths, *args, **kwargs)

    original_split = torch.utils.data.random_split
    rec.restore.append((torch.utils.data, "random_split", original_split))
    torch.utils.data.random_split = random_split


def install_model_spies(rec: Recorder, module, folder: Path) -> None:
    """Spy on the student's classifier: instances, training, conversions."""
    import torch

    cls = getattr(module, "FashionClassifier", None)
    if cls is None:
        return

    def snapshot(model) -> dict:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    def init_after(event, args, kwargs):
        event.info["model"] = args[0]

    rec.patch(cls, "__init__", "model_init", None, init_after)

    def train_info(args, kwargs):
        model = args[0]
        return {
            "model": model,
            "optimizer": _arg(args, kwargs, 1, "optimizer"),
            "epochs": _arg(args, kwargs, 3, "epochs"),
            "before": snapshot(model),
            "param_ids": {id(p) for p in model.parameters()},
        }

    def train_after(event, args, kwargs):
        event.info["after"] = snapshot(args[0])

    rec.patch(cls, "train_model", "train_model", train_info, train_after)
    rec.patch(cls, "evaluate", "evaluate")
    for method, key in (
        ("convert_to_onnx", "onnx_source"),
        ("convert_to_tflite", "tflite_source"),
        ("convert_to_litert", "tflite_source"),
    ):
        if not hasattr(cls, method):
            continue

        def conversion_info(args, kwargs, key=key):
            torch.save(snapshot(args[0]), folder / FILES[key])
            return {"model": args[0], "path": str(_arg(args, kwargs, 1, "outputpath"))}

        rec.patch(cls, method, method, conversion_info)
