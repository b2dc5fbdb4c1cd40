"""Hidden tests of ImbalancedINT8Model: calibration on one class only."""

import pytest
from grader_plugin import Expected
from l02_quant import (
    calibration_samples,
    check_dequantized_output,
    check_quantized_input,
    int8_steps,
)

ITEM = "imbalanced_int8_model"


@pytest.fixture(scope="module")
def imbalanced(builder, spies, artifacts):
    built = builder.get("imbint8")
    return built, int8_steps(built, spies, builder, artifacts)


@pytest.mark.rubric(ITEM, "one_class")
def test_calibration_on_one_class(imbalanced, sample_classes):
    """every calibration sample comes from the same class."""
    built, _ = imbalanced
    expected = "a representative data set made of the images of one class only"
    samples = calibration_samples(built, expected)
    if not samples:
        raise Expected(expected, "the representative data set yielded nothing")
    classes = [sample_classes.get(key) for key in samples]
    unknown = sum(c is None for c in classes)
    if unknown:
        raise Expected(
            expected,
            f"{unknown} of {len(samples)} samples are not images of the data set "
            "as dataset.prepare_input_sample loads them",
            code="unknown_samples",
        )
    if len(set(classes)) != 1:
        raise Expected(
            expected,
            f"samples of {len(set(classes))} classes ({len(samples)} samples)",
            code="balanced_calibration",
        )


@pytest.mark.rubric(ITEM, "inference")
def test_inference_quantizes_and_dequantizes(imbalanced):
    """the inference of the imbalanced model quantizes and dequantizes."""
    built, steps = imbalanced
    check_quantized_input(built, steps)
    check_dequantized_output(built, steps)
