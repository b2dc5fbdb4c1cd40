"""Hidden tests of NativeModel: the Keras model run with TensorFlow."""

import pytest
from grader_plugin import Expected

ITEM = "native_model"
#: Lines every Keras model summary prints.
SUMMARY_WORDS = ("Total params", "Trainable params")


@pytest.fixture(scope="module")
def native(builder):
    return builder.get("native")


@pytest.mark.rubric(ITEM, "summary")
def test_prepare_model_prints_the_summary(native):
    """NativeModel.prepare_model prints the model summary."""
    expected = "NativeModel.prepare_model to print the model summary (model.summary())"
    native.raise_error(expected)
    missing = [w for w in SUMMARY_WORDS if w not in native.stdout]
    if missing:
        shown = native.stdout.strip()[-200:] or "nothing"
        raise Expected(
            expected,
            f"no '{missing[0]}' line was printed (printed: {shown})",
            code="no_summary_printed",
        )
