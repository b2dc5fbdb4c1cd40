"""Hidden tests of TFMOTOptimizedModel: the FP32 TFLite runner."""

import sys

import numpy as np
import pytest
from grader_plugin import Expected, describe_exception
from l03_fixtures import SPEC, make_inputs, models_of

MODEL = models_of("outputs")[0]
ITEM = "tfmot_optimized_model"


@pytest.fixture(scope="module")
def runner(builder):
    """The student's TFMOTOptimizedModel on the grader's FP32 model."""
    return builder.get(MODEL["variant"])


def reference_outputs(path, inputs):
    """The grader's own LiteRT run, for comparison inside this process."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    rows = []
    for row in inputs:
        interpreter.set_tensor(inp["index"], row[np.newaxis])
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(out["index"])).reshape(-1))
    return np.stack(rows)


@pytest.mark.rubric(ITEM, "prepare")
def test_prepare_model(runner):
    """TFMOTOptimizedModel loads the .tflite model in prepare_model."""
    runner.raise_error(
        "TFMOTOptimizedModel(dataset, modelpath) to load the "
        ".tflite model in prepare_model"
    )


@pytest.mark.rubric(ITEM, "outputs")
def test_outputs_match_litert(runner, artifacts, builder):
    """the four inference steps give the interpreter's own class scores."""
    runner.raise_error("prepare_model to succeed before running inference")
    inputs = make_inputs()
    rows = []
    try:
        for X in inputs:
            runner.obj.preprocess_input(X[np.newaxis])
            Y = runner.obj.run_inference()
            rows.append(np.asarray(runner.obj.postprocess_outputs(Y), dtype=np.float32))
    except Exception:
        info = describe_exception(pytest.ExceptionInfo.from_exc_info(sys.exc_info()))
        builder.record_error(MODEL["variant"], info)
        raise
    sizes = {row.size for row in rows}
    seen = np.stack([row.reshape(-1) for row in rows]) if len(sizes) == 1 else rows[0]
    np.save(artifacts / MODEL["outputs"], seen)
    if rows[0].shape not in ((1, 4), (4,)):
        raise Expected(
            "postprocess_outputs to return class scores of shape (1, 4) "
            "for one image of the test model",
            f"shape {list(rows[0].shape)}",
            code="wrong_outputs",
        )
    expected = reference_outputs(artifacts / MODEL["file"], inputs)
    tolerance = float(SPEC["output_tolerance"])
    if not np.allclose(seen, expected, atol=tolerance, rtol=tolerance):
        raise Expected(
            f"the class scores of the LiteRT interpreter for {len(inputs)} inputs "
            f"(preprocess_input, run_inference, postprocess_outputs)",
            f"different scores (largest difference "
            f"{float(np.max(np.abs(seen - expected))):.3g}; first expected "
            f"{np.round(expected[0], 4).tolist()}, first seen "
            f"{np.round(seen[0], 4).tolist()})",
            code="wrong_outputs",
        )


@pytest.mark.rubric(ITEM, "test_inference")
def test_test_inference_writes_results(runner, scratch):
    """test_inference writes the metrics file and the confusion matrix."""
    runner.raise_error("prepare_model to succeed before test_inference")
    results = scratch / "results"
    runner.obj.test_inference(results, "tfmot-fp32", 1.0)
    missing = [
        name
        for name in ("tfmot-fp32-metrics.md", "tfmot-fp32-confusion-matrix.png")
        if not (results / name).is_file() or (results / name).stat().st_size == 0
    ]
    if missing:
        raise Expected(
            "test_inference(resultspath, prefix, fraction) to write "
            "<prefix>-metrics.md and <prefix>-confusion-matrix.png",
            f"missing or empty: {', '.join(missing)}",
        )
