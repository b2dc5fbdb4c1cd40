"""A model without the original's layers and kernel shapes is not derived.

Fast: the LiteRT reading (``tflite.effective_kernels``) is replaced by fixed
kernels, so no model is built and TensorFlow is not imported. What is tested
is the decision made on those kernels, in ``tflite.kinship`` and in the
``derived`` outcome of the artifact checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.hidden import artifacts, tflite

RNG = np.random.default_rng(3)
# The original: two convolutions and a dense layer (like the lab's small CNN).
SHAPES = [
    ("CONV_2D", (8, 3, 3, 1)),
    ("CONV_2D", (16, 3, 3, 8)),
    ("FULLY_CONNECTED", (10, 64)),
]
ORIGINAL = [RNG.normal(size=shape) for _, shape in SHAPES]


def _kernels(shapes, values) -> list[dict]:
    return [
        {"op": op, "name": f"k{i}", "shape": list(shape), "value": value}
        for i, ((op, shape), value) in enumerate(zip(shapes, values, strict=True))
    ]


def _model(kind: str) -> list[dict]:
    if kind == "clustered":  # the original's kernels, moved a little
        return _kernels(
            SHAPES, [v + RNG.normal(scale=0.2, size=v.shape) for v in ORIGINAL]
        )
    if kind == "other_weights":  # same architecture, trained elsewhere
        return _kernels(SHAPES, [RNG.normal(size=v.shape) for v in ORIGINAL])
    if kind == "other_shapes":  # one kernel of another shape
        shapes = [SHAPES[0], ("CONV_2D", (12, 3, 3, 8)), ("FULLY_CONNECTED", (10, 48))]
        return _kernels(shapes, [RNG.normal(size=s) for _, s in shapes])
    if kind == "fewer_layers":  # the first layers only, same values
        return _kernels(SHAPES[:2], ORIGINAL[:2])
    if kind == "other_op":  # same shapes, a depthwise convolution instead
        shapes = [("DEPTHWISE_CONV_2D", SHAPES[0][1]), *SHAPES[1:]]
        return _kernels(shapes, ORIGINAL)
    if kind == "no_kernels":
        return []
    raise ValueError(kind)


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Two files that read as .tflite; their kernels come from their names."""
    original = tmp_path / "original.tflite"
    original.write_bytes(b"\0\0\0\0TFL3")

    def fake(path: Path):
        path = Path(path)
        if path == original:
            kernels = _kernels(SHAPES, ORIGINAL)
        else:
            kernels = _model(path.stem)
        return [k["op"] for k in kernels], kernels, {"input": [], "output": []}

    monkeypatch.setattr(tflite, "effective_kernels", fake)

    def model(kind: str) -> Path:
        path = tmp_path / f"{kind}.tflite"
        path.write_bytes(b"\0\0\0\0TFL3")
        return path

    return original, model


@pytest.mark.parametrize("kind", ["other_shapes", "fewer_layers", "other_op"])
def test_another_architecture_is_not_derived(files, kind):
    original, model = files
    value, reason = tflite.kinship(model(kind), original)
    assert value is None and "layers differ" in reason, reason
    outcome = artifacts._check_derived(model(kind), original)
    assert outcome["passed"] is False and outcome["code"] == "foreign_model"
    assert "layers differ" in outcome["message"]


def test_the_same_architecture_is_derived_only_when_its_kernels_follow(files):
    original, model = files
    value, reason = tflite.kinship(model("clustered"), original)
    assert value is not None and value > 0.9 and reason == ""
    assert artifacts._check_derived(model("clustered"), original)["passed"] is True
    value, _ = tflite.kinship(model("other_weights"), original)
    assert value is not None and abs(value) < tflite.MIN_KINSHIP
    outcome = artifacts._check_derived(model("other_weights"), original)
    assert outcome["passed"] is False and outcome["code"] == "foreign_model"


def test_a_comparison_that_fails_or_cannot_be_made_is_a_failure(files, monkeypatch):
    original, model = files
    path = model("clustered")

    # The model vanished or is not a model: the reader raises.
    def broken(*_):
        raise ValueError("Model provided has model identifier 'xxxx'")

    monkeypatch.setattr(tflite, "effective_kernels", broken)
    outcome = artifacts._check_derived(path, original)
    assert outcome["passed"] is False and "could not be compared" in outcome["message"]
    # The grader's own original is missing: never counted as derived.
    original.unlink()
    assert artifacts._check_derived(path, original)["code"] == "grader_error"


def test_an_original_without_kernels_derives_nothing(files, monkeypatch):
    original, model = files
    monkeypatch.setattr(
        tflite, "effective_kernels", lambda path: ([], [], {"input": [], "output": []})
    )
    value, reason = tflite.kinship(model("no_kernels"), original)
    assert value is None and "no kernels" in reason
    assert artifacts._check_derived(model("no_kernels"), original)["passed"] is False
