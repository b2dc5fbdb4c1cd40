"""Read TFLite files with the LiteRT interpreter: kind, kernels, outputs.

The primitives of the grader's model checks (:mod:`grading.hidden.artifacts`
and part 2's :mod:`grading.hidden.structured_artifacts`). They run in the
sandboxed inspecting process, never where student code runs, and import
only numpy and LiteRT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
WEIGHT_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "CONV_3D": 1}


def file_kind(path: Path) -> str:
    """Return what a model file is by its content, not its name: ``"missing"``,
    ``"directory"`` (a SavedModel?), ``"empty"``, ``"tflite"``, ``"hdf5"``
    (Keras ``.h5``), ``"keras_zip"`` (Keras v3 ``.keras``) or ``"unknown"``."""
    path = Path(path)
    if path.is_dir():
        return "directory"
    if not path.is_file():
        return "missing"
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        return "empty"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head == HDF5_MAGIC:
        return "hdf5"
    if head[:2] == b"PK":
        return "keras_zip"
    return "unknown"


def _interpreter(path: Path, keep_tensors: bool = False):
    """Build a LiteRT interpreter that shows the model's own ops."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    return Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=keep_tensors,
    )


def effective_kernels(path: Path) -> tuple[list[str], list[dict[str, Any]], dict]:
    """Run the model once on zeros and read the weight operand of each op.

    Returns ``(ops, kernels, shapes)``: the op names in order; per
    convolution or dense op ``{"op", "name", "shape", "value"}`` (the float
    kernel it multiplies with, stored or computed from variables); and
    ``{"input": [...], "output": [...]}``.
    """
    interpreter = _interpreter(path, keep_tensors=True)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], np.zeros(inp["shape"], dtype=inp["dtype"]))
    interpreter.invoke()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()
    kernels = []
    for op in ops:
        position = WEIGHT_OPS.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        index = int(op["inputs"][position])
        detail = details.get(index)
        if detail is None or detail["dtype"] not in (np.float32, np.float16):
            continue
        value = np.array(interpreter.get_tensor(index))
        if value.ndim < 2:
            continue
        kernels.append(
            {
                "op": op["op_name"],
                "name": str(detail["name"])[:100],
                "shape": [int(x) for x in value.shape],
                "value": value,
            }
        )
    shapes = {
        "input": [int(x) for x in inp["shape"]],
        "output": [int(x) for x in out["shape"]],
    }
    return [op["op_name"] for op in ops], kernels, shapes


def inspect_tflite(path: Path) -> dict[str, Any]:
    """Read the op list and the kernels of a ``.tflite`` file: ``{"ops",
    "kernels": [{"op", "name", "shape", "unique", "zeros"}], "input_shape",
    "output_shape"}``."""
    ops, kernels, shapes = effective_kernels(path)
    return {
        "ops": sorted(set(ops)),
        "kernels": [
            {
                "op": k["op"],
                "name": k["name"],
                "shape": k["shape"],
                "unique": int(np.unique(k["value"]).size),
                "zeros": float(np.mean(k["value"] == 0)),
            }
            for k in kernels
        ],
        "input_shape": shapes["input"],
        "output_shape": shapes["output"],
    }


def architecture(kernels: list[dict[str, Any]]) -> list[tuple[str, tuple[int, ...]]]:
    """The weight ops and kernel shapes of a model, in order."""
    return [(k["op"], tuple(k["shape"])) for k in kernels]


def kinship(model: Path, original: Path) -> tuple[float | None, str]:
    """How closely the kernels of ``model`` follow those of ``original``.

    A model made from the original has its architecture (the same weight ops
    with the same kernel shapes, in order), and its kernels correlate with
    the original's (clustering and pruning move weights little: about 0.85
    for two clusters, more otherwise; another model of the same architecture
    scores about 0). Returns ``(lowest Pearson correlation, "")``, or
    ``(None, reason)`` when the architectures differ: not derived.
    """
    _, ours, _ = effective_kernels(original)
    _, theirs, _ = effective_kernels(model)
    if not ours:
        return None, "the original model has no kernels to compare"
    if architecture(ours) != architecture(theirs):
        seen = ", ".join(f"{op} {list(shape)}" for op, shape in architecture(theirs))
        want = ", ".join(f"{op} {list(shape)}" for op, shape in architecture(ours))
        return None, (
            f"its layers differ from the original's: weight ops and kernel "
            f"shapes {seen[:600] or 'none'}, the original's {want[:600]}"
        )
    lowest = 1.0
    for a, b in zip(ours, theirs, strict=True):
        x = a["value"].ravel().astype(np.float64)
        y = b["value"].ravel().astype(np.float64)
        if x.std() == 0 or y.std() == 0:
            value = 1.0 if np.allclose(x, y) else 0.0
        else:
            value = float(np.corrcoef(x, y)[0, 1])
        if not np.isfinite(value):
            value = 0.0
        lowest = min(lowest, value)
    return lowest, ""


#: Below this kernel correlation a model is not made from the original.
MIN_KINSHIP = 0.5


def run_tflite(path: Path, inputs: np.ndarray) -> np.ndarray:
    """Run a model on each row of ``inputs`` (``(n, *input_shape)``, each row
    a batch of one); return the outputs, shape ``(n, output_size)``."""
    interpreter = _interpreter(path)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    rows = []
    for row in inputs:
        value = row.reshape(inp["shape"]).astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], value)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(out["index"])).reshape(-1))
    return np.stack(rows)
