"""Metrics against scikit-learn, on random and degenerate confusion matrices."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from dl_in_iot_course.misc import metrics


def matrix_from(y_true, y_pred, classes):
    matrix = np.zeros((classes, classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        matrix[t, p] += 1
    return matrix


def reference_g_mean(y_true, y_pred):
    present = np.unique(y_true)
    recalls = skm.recall_score(
        y_true, y_pred, labels=present, average=None, zero_division=0
    )
    return float(np.prod(recalls) ** (1 / len(recalls)))


def check_against_sklearn(y_true, y_pred, classes):
    matrix = matrix_from(y_true, y_pred, classes)
    assert metrics.accuracy(matrix) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert metrics.mean_precision(matrix) == pytest.approx(
        skm.precision_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert metrics.mean_sensitivity(matrix) == pytest.approx(
        skm.recall_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert metrics.g_mean(matrix) == pytest.approx(reference_g_mean(y_true, y_pred))


@pytest.mark.parametrize("seed", range(20))
def test_random_matrices_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    classes = int(rng.integers(2, 40))
    samples = int(rng.integers(1, 300))
    y_true = rng.integers(0, classes, samples)
    # A mostly right model with some noise, so every metric is non-trivial.
    y_pred = np.where(
        rng.random(samples) < 0.7, y_true, rng.integers(0, classes, samples)
    )
    check_against_sklearn(y_true, y_pred, classes)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "classes"),
    [
        ([0, 1, 2, 0], [0, 0, 0, 0], 3),  # classes 1 and 2 never predicted
        ([0, 0, 0], [0, 1, 2], 3),  # classes 1 and 2 never occur as truth
        ([0, 1, 2], [1, 2, 0], 3),  # always wrong
        ([2], [2], 5),  # one sample, most classes unused
        ([1, 1, 1], [1, 1, 1], 37),  # perfect on one of 37 classes
        ([0, 1], [1, 0], 2),
    ],
)
def test_degenerate_matrices_match_sklearn(y_true, y_pred, classes):
    check_against_sklearn(np.array(y_true), np.array(y_pred), classes)


def test_axes_are_truth_then_prediction():
    # 3 samples of class 0, all predicted as class 1.
    matrix = np.array([[0, 3], [0, 1]])
    np.testing.assert_allclose(metrics.class_sensitivities(matrix), [0.0, 1.0])
    np.testing.assert_allclose(metrics.class_precisions(matrix), [0.0, 0.25])


@pytest.mark.parametrize(
    "function",
    [
        metrics.accuracy,
        metrics.mean_precision,
        metrics.mean_sensitivity,
        metrics.g_mean,
    ],
)
def test_never_nan(function):
    for matrix in (
        np.zeros((3, 3)),
        np.array([[5, 0], [5, 0]]),
        np.array([[0, 2], [0, 0]]),
    ):
        value = function(matrix)
        assert not np.isnan(value)
        assert 0.0 <= value <= 1.0


def test_g_mean_is_zero_when_a_class_is_never_found():
    assert metrics.g_mean(np.array([[4, 0], [3, 0]])) == 0.0
    assert metrics.g_mean(np.array([[2, 0], [0, 8]])) == pytest.approx(1.0)


def test_rejects_non_square_or_negative():
    with pytest.raises(ValueError, match="square"):
        metrics.accuracy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="negative"):
        metrics.accuracy(np.array([[1, -1], [0, 1]]))


def test_top_k_with_batch_of_one_shape():
    # The original tooling ranked (1, N) predictions along the batch axis and
    # always reported a hit; the true class here is the lowest score.
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.01]])
    assert not metrics.top_k_hit(scores, 5, k=5)
    assert metrics.top_k_hit(scores, 4, k=5)
    assert metrics.top_k_hit(scores[0], 0, k=1)


@pytest.mark.parametrize("seed", range(5))
def test_top_k_accuracy_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    classes = 12
    scores = rng.random((50, classes))
    truths = rng.integers(0, classes, 50)
    expected = skm.top_k_accuracy_score(truths, scores, k=5, labels=range(classes))
    assert metrics.top_k_accuracy(scores, truths, k=5) == pytest.approx(expected)


def test_docstrings_say_what_is_returned():
    for function in (
        metrics.accuracy,
        metrics.mean_precision,
        metrics.mean_sensitivity,
        metrics.g_mean,
        metrics.top_k_hit,
        metrics.top_k_accuracy,
    ):
        assert "Returns" in function.__doc__, function.__name__
