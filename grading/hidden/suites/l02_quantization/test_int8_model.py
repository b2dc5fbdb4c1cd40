"""Hidden tests of INT8Model: full-integer quantization and its inference.

The spy on the converter counts the calibration samples really drawn; the
written .tflite (int8 tensors, int8 input and output) and the saved outputs
are verified by the grader outside this process.
"""

import pytest
from grader_plugin import Expected
from l02_fixtures import SPEC, balanced_count, model_entry
from l02_quant import (
    calibration_samples,
    check_dequantized_output,
    check_quantized_input,
    int8_steps,
)

ITEM = "int8_model"
VARIANTS = [m["variant"] for m in SPEC["model"] if m["item"] == ITEM]


@pytest.fixture(scope="module", params=VARIANTS)
def int8(request, builder, spies, artifacts):
    built = builder.get(request.param)
    entry = model_entry(request.param, "tflite_int8")
    steps = int8_steps(built, spies, builder, artifacts, entry.get("outputs", ""))
    return built, steps, entry


@pytest.mark.rubric(ITEM, "calibration")
def test_calibration_uses_the_share(int8, dataset):
    """the converter draws calibrationdatasetpercent of the training images."""
    built, _, entry = int8
    share = float(entry["calibration"])
    want = balanced_count(dataset, share)
    expected = (
        f"a representative data set of calibrationdatasetpercent={share} of the "
        f"{len(dataset.trainvalX)} training images (about {want} samples)"
    )
    samples = calibration_samples(built, expected)
    margin = max(1.0, float(SPEC["count_tolerance"]) * want)
    if abs(len(samples) - want) > margin:
        raise Expected(expected, f"{len(samples)} samples", code="calibration_count")


@pytest.mark.rubric(ITEM, "quantize_input")
def test_preprocess_quantizes(int8):
    """preprocess_input quantizes with the input's scale and zero point."""
    built, steps, _ = int8
    check_quantized_input(built, steps)


@pytest.mark.rubric(ITEM, "dequantize_output")
def test_postprocess_dequantizes(int8):
    """postprocess_outputs dequantizes with the output's scale and zero point."""
    built, steps, _ = int8
    check_dequantized_output(built, steps)
