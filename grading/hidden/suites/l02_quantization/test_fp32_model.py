"""Hidden tests of FP32Model: convert to FP32 TFLite and run the interpreter.

What the written .tflite holds (float kernels, the Keras model's outputs) is
verified by the grader outside this process; these tests run the student's
inference steps.
"""

import sys

import numpy as np
import pytest
from grader_plugin import Expected, describe_exception
from l02_fixtures import SPEC, make_inputs, model_entry, run_steps

ITEM = "fp32_model"
OUTPUTS = model_entry("fp32", "outputs")


@pytest.fixture(scope="module")
def fp32(builder):
    return builder.get("fp32")


@pytest.fixture(scope="module")
def steps(fp32, spies, builder, artifacts):
    """The student's steps on every input (None when they raised)."""
    if fp32.error:
        return None
    records = []
    try:
        for X in make_inputs():
            records.append(run_steps(fp32, spies, X[np.newaxis]))
    except Exception:
        info = describe_exception(pytest.ExceptionInfo.from_exc_info(sys.exc_info()))
        builder.record_error("fp32", info)
        return info
    rows = [np.asarray(r["Z"], dtype=np.float32).reshape(-1) for r in records]
    if len({row.size for row in rows}) == 1:
        np.save(artifacts / OUTPUTS["outputs"], np.stack(rows))
    return records


def ran(fp32, steps, expected):
    """Fail unless the steps ran; return their records."""
    fp32.raise_error(expected)
    if isinstance(steps, dict):
        raise Expected(
            expected,
            f"the inference steps raised {steps['message']}",
            code=steps.get("code", ""),
            evidence=steps.get("evidence", ""),
        )
    return steps


@pytest.mark.rubric(ITEM, "prepare")
def test_optimize_and_prepare(fp32):
    """FP32Model converts the model and loads it in prepare_model."""
    fp32.raise_error("FP32Model to convert the Keras model and load the .tflite")
    if not fp32.modelpath.is_file():
        raise Expected(
            "optimize_model to write the TFLite model to self.modelpath",
            "no file was written",
            code="missing",
        )


@pytest.mark.rubric(ITEM, "outputs")
def test_outputs_match_keras(fp32, steps, artifacts):
    """the three inference steps give the Keras model's class scores."""
    records = ran(fp32, steps, "the Keras model's class scores from the three steps")
    seen = np.stack([np.asarray(r["Z"], dtype=np.float32).reshape(-1) for r in records])
    keras = np.load(artifacts / SPEC["keras_outputs"])
    tolerance = float(SPEC["keras_tolerance"])
    if seen.shape != keras.shape or not np.allclose(
        seen, keras, atol=tolerance, rtol=tolerance
    ):
        raise Expected(
            f"the Keras model's class scores (shape {list(keras.shape[1:])} per "
            f"input, within {tolerance})",
            f"shape {list(seen.shape[1:])}, first {np.round(seen[0][:4], 4).tolist()} "
            f"instead of {np.round(keras[0][:4], 4).tolist()}",
            code="wrong_outputs",
        )


@pytest.mark.rubric(ITEM, "inference_step")
def test_only_run_inference_invokes(fp32, steps):
    """the interpreter is invoked in run_inference and nowhere else."""
    records = ran(fp32, steps, "interpreter.invoke() in run_inference only")
    counts = records[0]["invokes"]
    wrong = [
        step for step in ("preprocess_input", "postprocess_outputs") if counts[step]
    ]
    if counts["run_inference"] != 1 or wrong:
        raise Expected(
            "one interpreter.invoke() in run_inference and none in "
            "preprocess_input or postprocess_outputs (only inference is timed)",
            ", ".join(f"{k}: {v} invoke(s)" for k, v in counts.items()),
            code="inference_step",
        )


@pytest.mark.rubric(ITEM, "test_inference")
def test_test_inference_writes_results(fp32, steps, scratch):
    """test_inference writes the metrics file and the confusion matrix."""
    ran(fp32, steps, "test_inference to run on the FP32 model")
    results = scratch / "results-fp32"
    fp32.obj.test_inference(results, "tflite-fp32", 1.0)
    missing = [
        name
        for name in ("tflite-fp32-metrics.md", "tflite-fp32-confusion-matrix.png")
        if not (results / name).is_file() or (results / name).stat().st_size == 0
    ]
    if missing:
        raise Expected(
            "test_inference to write <prefix>-metrics.md and "
            "<prefix>-confusion-matrix.png",
            f"missing or empty: {', '.join(missing)}",
        )
