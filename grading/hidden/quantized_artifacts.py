"""Verify float and integer-quantized ``.tflite`` files outside the student's process.

Two kinds of ``[[model]]`` entries of a lab's ``artifacts.toml``:

- ``tflite_float``: outcome ``model``: the file is a TFLite model with
  float32 input, output and kernels, and its outputs on the spec's inputs
  equal the Keras model's outputs ``keras_outputs`` within
  ``keras_tolerance``; the grader computes those outputs when it builds the
  masters (beside the ``original`` model), never in the student's process;
- ``tflite_int8``: outcome ``quantized``: int8 input and output, every
  kernel int8 with per-tensor or per-channel scales and zero points; with
  ``outputs`` also outcome ``outputs``: the student's saved outputs equal
  the grader's own quantize -> invoke -> dequantize run of the same file
  within ``int8_steps`` steps of the output scale; and outcome
  ``calibrated``: the activations every convolution and dense layer reads
  are int8 with a scale, which only a representative data set gives (the
  lab's ``[proof]`` uses it: dynamic-range quantization or a float model
  fails it, float input and output around int8 layers pass).

Only LiteRT runs here (never TensorFlow, never student code); the caller
runs this in a child process (``python -m grading.hidden.artifacts``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

KINDS = {"tflite_float", "tflite_int8"}


def _outcome(passed: bool, message: str, code: str = "", evidence: str = "") -> dict:
    return {"passed": passed, "message": message, "code": code, "evidence": evidence}


def _interpreter(path: Path):
    from grading.hidden.tflite import _interpreter as build

    interpreter = build(path)
    interpreter.allocate_tensors()
    return interpreter


def kernels(interpreter) -> list[dict]:
    """The constant weight operands of convolutions and dense layers."""
    from grading.hidden.tflite import WEIGHT_OPS

    ops = interpreter._get_ops_details()
    produced = {int(i) for op in ops for i in op["outputs"]}
    inputs = {d["index"] for d in interpreter.get_input_details()}
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    out, seen = [], set()
    for op in ops:
        position = WEIGHT_OPS.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        index = int(op["inputs"][position])
        if index < 0 or index in produced or index in inputs or index in seen:
            continue
        seen.add(index)
        detail = details.get(index)
        if detail is not None:
            out.append(detail)
    return out


def run(interpreter, inputs: np.ndarray, quantized: bool) -> np.ndarray:
    """Run each input row; quantize and dequantize when ``quantized``."""
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    rows = []
    for row in inputs:
        value = row.reshape(inp["shape"])
        scale, zero = inp["quantization"]
        if quantized and scale:
            info = np.iinfo(inp["dtype"])
            value = np.clip(np.round(value / scale + zero), info.min, info.max)
        interpreter.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interpreter.invoke()
        result = np.array(interpreter.get_tensor(out["index"])).reshape(-1)
        scale, zero = out["quantization"]
        if quantized and scale:
            result = (result.astype(np.float64) - zero) * scale
        rows.append(result.astype(np.float64))
    return np.stack(rows)


def _load(model: dict, folder: Path, manifest: dict) -> tuple[Any, dict | None]:
    """The allocated interpreter of the model file, or the failure outcome."""
    from grading.hidden.artifacts import KIND_MESSAGES
    from grading.hidden.tflite import file_kind

    path = folder / model["file"]
    found = file_kind(path)
    if found == "tflite":
        try:
            return _interpreter(path), None
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            return None, _outcome(
                False,
                f"expected a .tflite that LiteRT can load; loading it failed with "
                f"{type(exc).__name__}: {exc}",
                "load_failed",
            )
    produced = manifest.get("variants", {}).get(model["variant"], {})
    error = produced.get("error") or manifest.get("import_error")
    if found == "missing" and error:
        return None, _outcome(
            False,
            f"no model was written ({error.get('message') or 'an error'})",
            error.get("code") or "not_run",
            error.get("evidence", ""),
        )
    if found == "missing" and not produced:
        return None, _outcome(
            False,
            "the hidden tests did not reach this model (see the other findings "
            "of this item)",
            "not_run",
        )
    return None, _outcome(
        False,
        f"expected a TFLite model at self.modelpath; {KIND_MESSAGES[found]}",
        "missing" if found == "missing" else "not_tflite",
    )


def _dequantized(interpreter) -> list[str]:
    """Constants stored in fewer bits and widened at run time (float16, say).

    Their DEQUANTIZE produces float32 kernels, which :func:`kernels` leaves
    out as computed tensors; an FP32 model has none.
    """
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    names = []
    for op in interpreter._get_ops_details():
        if op["op_name"] == "DEQUANTIZE" and len(op["inputs"]):
            detail = details.get(int(op["inputs"][0]))
            if detail is not None and np.dtype(detail["dtype"]) != np.float32:
                names.append(f"{detail['name']} ({np.dtype(detail['dtype']).name})")
    return names


def _float_model(interpreter, model: dict, spec: dict, masters: Path) -> dict:
    from grading.hidden.artifacts import make_inputs

    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    dtypes = {np.dtype(inp["dtype"]).name, np.dtype(out["dtype"]).name}
    quantized = [k["name"] for k in kernels(interpreter) if k["dtype"] != np.float32]
    quantized += _dequantized(interpreter)
    if dtypes != {"float32"} or quantized:
        return _outcome(
            False,
            "expected an FP32 model (no optimizations): float32 input, output "
            "and weights; "
            + (
                f"its weights {', '.join(quantized[:3])} are quantized"
                if quantized
                else f"its input/output are {', '.join(sorted(dtypes))}"
            ),
            "quantized_fp32",
        )
    reference = masters / spec["keras_outputs"]
    try:
        keras = np.load(reference, allow_pickle=False).astype(np.float64)
    except Exception:  # noqa: BLE001
        return _outcome(False, "the grader's Keras outputs are missing", "grader_error")
    inputs = make_inputs(spec)
    seen = run(interpreter, inputs, quantized=False)
    tolerance = float(spec.get("keras_tolerance", 1e-4))
    if seen.shape != keras.shape or not np.allclose(
        seen, keras, atol=tolerance, rtol=tolerance
    ):
        diff = (
            float(np.max(np.abs(seen - keras))) if seen.shape == keras.shape else None
        )
        return _outcome(
            False,
            "expected the Keras model's outputs from the FP32 model (within "
            f"{tolerance}); "
            + (
                f"the largest difference is {diff:.3g}"
                if diff is not None
                else f"outputs of shape {list(seen.shape)} instead of "
                f"{list(keras.shape)}"
            ),
            "wrong_outputs",
        )
    return _outcome(
        True,
        f"an FP32 model with the Keras model's outputs for {len(inputs)} inputs",
    )


def _int8_model(interpreter) -> dict:
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    problems = []
    for what, detail in (("input", inp), ("output", out)):
        if np.dtype(detail["dtype"]) != np.int8:
            problems.append(
                f"its {what} is {np.dtype(detail['dtype']).name}, not int8 "
                f"(inference_{what}_type)"
            )
    found = kernels(interpreter)
    bad = []
    for detail in found:
        params = detail.get("quantization_parameters") or {}
        scales = np.asarray(params.get("scales", []))
        channels = detail["shape"][params.get("quantized_dimension", 0)]
        if (
            np.dtype(detail["dtype"]) != np.int8
            or scales.size not in (1, int(channels))
            or not np.all(scales > 0)
        ):
            bad.append(f"{detail['name']} ({np.dtype(detail['dtype']).name})")
    if not found:
        problems.append("no weights of a convolution or dense layer were found")
    if bad:
        problems.append("weights not quantized to int8: " + ", ".join(bad[:3]))
    if problems:
        return _outcome(
            False,
            "expected a full-integer model (int8 input, output and weights with "
            "scales and zero points); " + "; ".join(problems),
            "not_int8",
        )
    return _outcome(True, "int8 input, output and weights with quantization parameters")


def _calibrated(interpreter) -> dict:
    """Whether the layers' activations were quantized with calibration ranges."""
    from grading.hidden.tflite import WEIGHT_OPS

    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    layers = [
        op for op in interpreter._get_ops_details() if op["op_name"] in WEIGHT_OPS
    ]
    floats = []
    for op in layers:
        detail = details.get(int(op["inputs"][0])) if len(op["inputs"]) else None
        scales = (detail or {}).get("quantization_parameters", {}).get("scales", [])
        if detail is None or np.dtype(detail["dtype"]) != np.int8 or not len(scales):
            floats.append(op["op_name"])
    if not layers or floats:
        return _outcome(
            False,
            "expected int8 activations with calibration ranges (a representative "
            "data set); "
            + (
                f"{len(floats)} of {len(layers)} layers read unquantized activations"
                if layers
                else "no convolution or dense layer was found"
            ),
            "not_calibrated",
        )
    return _outcome(
        True, f"int8 activations with calibration ranges in {len(layers)} layers"
    )


def _int8_outputs(interpreter, model: dict, spec: dict, folder: Path) -> dict:
    from grading.hidden.artifacts import make_inputs

    saved = folder / model["outputs"]
    if not saved.is_file():
        return _outcome(
            False,
            "the hidden tests did not save the outputs of your inference code "
            "(see the other findings of this item)",
            "not_run",
        )
    inputs = make_inputs(spec)
    expected = run(interpreter, inputs, quantized=True)
    try:
        seen = np.load(saved, allow_pickle=False).astype(np.float64)
        seen = seen.reshape(len(inputs), -1)
    except Exception as exc:  # noqa: BLE001
        return _outcome(
            False, f"the saved outputs could not be read ({exc})", "bad_outputs"
        )
    scale = interpreter.get_output_details()[0]["quantization"][0] or 0.0
    tolerance = max(float(spec.get("int8_steps", 3)) * scale, 1e-4)
    if seen.shape != expected.shape or not np.allclose(seen, expected, atol=tolerance):
        return _outcome(
            False,
            "expected the dequantized class scores of the grader's own run of "
            f"the model (within {tolerance:.3g}); first seen "
            f"{np.round(seen[0][:4], 4).tolist()}, expected "
            f"{np.round(expected[0][:4], 4).tolist()}",
            "wrong_outputs",
        )
    return _outcome(
        True, f"the grader's own dequantized scores for {len(inputs)} inputs"
    )


def check(
    model: dict, spec: dict, folder: Path, manifest: dict, original: Path
) -> dict[str, dict[str, Any]]:
    """Verify one ``tflite_float`` or ``tflite_int8`` entry: ``{outcome: dict}``.

    ``original`` is the grader's own original model in its masters folder;
    the reference outputs of ``tflite_float`` are read beside it.
    """
    names = (
        ["model"]
        if model["kind"] == "tflite_float"
        else ["quantized", "calibrated", *(["outputs"] if model.get("outputs") else [])]
    )
    interpreter, failure = _load(model, Path(folder), manifest)
    if failure is not None:
        return {name: dict(failure) for name in names}
    try:
        if model["kind"] == "tflite_float":
            masters = Path(original).parent
            return {"model": _float_model(interpreter, model, spec, masters)}
        result = {
            "quantized": _int8_model(interpreter),
            "calibrated": _calibrated(interpreter),
        }
        if model.get("outputs"):
            result["outputs"] = _int8_outputs(interpreter, model, spec, Path(folder))
        return result
    except Exception as exc:  # noqa: BLE001 - a crafted file must not crash us
        failed = _outcome(
            False,
            f"running the model with LiteRT failed with {type(exc).__name__}: {exc}",
            "load_failed",
        )
        return {name: dict(failed) for name in names}
