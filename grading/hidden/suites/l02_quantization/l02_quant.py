"""Checks shared by the INT8 and the imbalanced INT8 hidden tests."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from grader_plugin import Expected, describe_exception
from l02_fixtures import Built, make_inputs, run_steps


def quantize(X: np.ndarray, detail: dict) -> np.ndarray:
    """The grader's own quantization of ``X`` for an input ``detail``."""
    scale, zero = detail["quantization"]
    if not scale:
        return X.astype(detail["dtype"])
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(X / scale + zero), info.min, info.max).astype(
        detail["dtype"]
    )


def dequantize(Y: np.ndarray, detail: dict) -> np.ndarray:
    """The grader's own dequantization of an output tensor."""
    scale, zero = detail["quantization"]
    if not scale:
        return np.asarray(Y, dtype=np.float32)
    return (np.asarray(Y, dtype=np.float32) - zero) * scale


def int8_steps(built: Built, spies, builder, artifacts, outputs: str = ""):
    """Run the student's steps on every input; save the dequantized outputs.

    Returns the list of step records, or the error dict when a step raised.
    """
    if built.error:
        return None
    records = []
    try:
        for X in make_inputs():
            records.append(run_steps(built, spies, X[np.newaxis]))
    except Exception:
        info = describe_exception(pytest.ExceptionInfo.from_exc_info(sys.exc_info()))
        builder.record_error(built.variant, info)
        return info
    rows = [np.asarray(r["Z"], dtype=np.float32).reshape(-1) for r in records]
    if outputs and len({row.size for row in rows}) == 1:
        np.save(artifacts / outputs, np.stack(rows))
    return records


def ran(built: Built, steps, expected: str):
    """Fail unless the steps ran; return their records."""
    built.raise_error(expected)
    if isinstance(steps, dict):
        raise Expected(
            expected,
            f"the inference steps raised {steps['message']}",
            code=steps.get("code", ""),
            evidence=steps.get("evidence", ""),
        )
    return steps


def check_quantized_input(built: Built, steps) -> None:
    """Fail unless preprocess_input set the input quantized with its parameters."""
    expected = (
        "preprocess_input to quantize the input with the input tensor's scale and "
        "zero point (round, clip to int8) and set it"
    )
    records = ran(built, steps, expected)
    for X, record in zip(make_inputs(), records, strict=True):
        interpreter = record["interpreter"]
        if interpreter is None:
            raise Expected(expected, "run_inference never invoked an interpreter")
        detail = interpreter.get_input_details()[0]
        mine = [
            v for i, n, v in record["set"] if i is interpreter and n == detail["index"]
        ]
        if not mine:
            raise Expected(
                expected, "no set_tensor on the input tensor", code="no_input"
            )
        value = mine[-1]
        if value.dtype != np.int8:
            raise Expected(
                expected,
                f"a {value.dtype} input was set (the model's input is "
                f"{np.dtype(detail['dtype']).name})",
                code="input_not_quantized",
            )
        want = quantize(X[np.newaxis], detail).astype(np.int32)
        if (
            value.shape != want.shape
            or np.max(np.abs(value.astype(np.int32) - want)) > 1
        ):
            raise Expected(
                expected,
                "int8 values that are not X / scale + zero_point",
                code="input_not_quantized",
            )


def check_dequantized_output(built: Built, steps) -> None:
    """Fail unless postprocess_outputs returned the dequantized output tensor."""
    expected = (
        "postprocess_outputs to return (output - zero_point) * scale of the "
        "output tensor, as floats"
    )
    records = ran(built, steps, expected)
    for record in records:
        interpreter = record["interpreter"]
        if interpreter is None or "raw" not in record:
            raise Expected(expected, "run_inference never invoked an interpreter")
        detail = interpreter.get_output_details()[0]
        want = dequantize(record["raw"], detail).reshape(-1)
        seen = np.asarray(record["Z"])
        if seen.dtype.kind != "f":
            raise Expected(
                expected,
                f"{seen.dtype} scores (the raw quantized output)",
                code="output_not_dequantized",
            )
        seen = seen.astype(np.float32).reshape(-1)
        if seen.shape != want.shape or not np.allclose(
            seen, want, atol=1e-5, rtol=1e-4
        ):
            raise Expected(
                expected,
                f"scores {np.round(seen[:4], 4).tolist()} instead of "
                f"{np.round(want[:4], 4).tolist()}",
                code="output_not_dequantized",
            )


def calibration_samples(built: Built, expected: str) -> list:
    """The samples the converter drew from the representative data set."""
    built.raise_error(expected)
    conversions = [c for c in built.conversions if not c.error]
    if not conversions:
        raise Expected(expected, "no TFLite conversion finished", code="no_conversion")
    last = conversions[-1]
    if not last.settings.get("representative"):
        raise Expected(
            expected,
            "the converter had no representative_dataset",
            code="no_calibration",
        )
    return last.samples
