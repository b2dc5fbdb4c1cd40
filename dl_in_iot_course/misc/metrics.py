"""Quality metrics computed from a confusion matrix.

Every function takes a square confusion matrix indexed ``[truth, prediction]``:
``matrix[i, j]`` counts the samples of true class ``i`` that the model
predicted as class ``j``. Rows are true classes, columns are predictions.

The per-class averages follow scikit-learn's ``average="macro"`` with
``zero_division=0``: they run over the classes that occur at least once, either
as a true class or as a prediction, and a class with an empty denominator
contributes 0. No function returns NaN; an empty matrix gives 0.0.
"""

from __future__ import annotations

import numpy as np


def _as_matrix(confusion_matrix) -> np.ndarray:
    matrix = np.asarray(confusion_matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"expected a square confusion matrix, got shape {matrix.shape}"
        )
    if (matrix < 0).any():
        raise ValueError("a confusion matrix cannot hold negative counts")
    return matrix


def _seen_classes(matrix: np.ndarray) -> np.ndarray:
    """Boolean mask of classes that occur as truth or as prediction."""
    return (matrix.sum(axis=1) > 0) | (matrix.sum(axis=0) > 0)


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def accuracy(confusion_matrix) -> float:
    """Fraction of samples predicted correctly.

    Returns
    -------
    float
        ``trace / total`` in [0, 1]; 0.0 for an empty matrix.
    """
    matrix = _as_matrix(confusion_matrix)
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total > 0 else 0.0


def class_precisions(confusion_matrix) -> np.ndarray:
    """Precision of each class: correct predictions of it / all predictions of it.

    Returns
    -------
    numpy.ndarray
        One value per class (column sums as denominators); 0 where a class was
        never predicted.
    """
    matrix = _as_matrix(confusion_matrix)
    return _safe_ratio(np.diag(matrix), matrix.sum(axis=0))


def class_sensitivities(confusion_matrix) -> np.ndarray:
    """Sensitivity (recall) of each class: its samples found / its samples.

    Returns
    -------
    numpy.ndarray
        One value per class (row sums as denominators); 0 where a class has no
        samples.
    """
    matrix = _as_matrix(confusion_matrix)
    return _safe_ratio(np.diag(matrix), matrix.sum(axis=1))


def mean_precision(confusion_matrix) -> float:
    """Mean of the per-class precisions (macro average).

    Returns
    -------
    float
        Mean over the classes that occur as truth or prediction, in [0, 1];
        equals ``sklearn.metrics.precision_score(average="macro",
        zero_division=0)``. 0.0 for an empty matrix.
    """
    matrix = _as_matrix(confusion_matrix)
    seen = _seen_classes(matrix)
    if not seen.any():
        return 0.0
    return float(class_precisions(matrix)[seen].mean())


def mean_sensitivity(confusion_matrix) -> float:
    """Mean of the per-class sensitivities (macro-averaged recall).

    Returns
    -------
    float
        Mean over the classes that occur as truth or prediction, in [0, 1];
        equals ``sklearn.metrics.recall_score(average="macro",
        zero_division=0)``. 0.0 for an empty matrix.
    """
    matrix = _as_matrix(confusion_matrix)
    seen = _seen_classes(matrix)
    if not seen.any():
        return 0.0
    return float(class_sensitivities(matrix)[seen].mean())


def g_mean(confusion_matrix) -> float:
    """Geometric mean of the sensitivities of the classes that have samples.

    A class the model never recognises has sensitivity 0 and makes the G-mean
    0: this metric punishes models that ignore a class. Classes without any
    true sample have no sensitivity and are left out.

    Returns
    -------
    float
        ``(prod_i sensitivity_i) ** (1 / n)`` over the ``n`` classes with at
        least one true sample, in [0, 1]; 0.0 for an empty matrix. Never NaN.
    """
    matrix = _as_matrix(confusion_matrix)
    present = matrix.sum(axis=1) > 0
    if not present.any():
        return 0.0
    sensitivities = class_sensitivities(matrix)[present]
    if (sensitivities <= 0).any():
        return 0.0
    # Sum of logarithms: the plain product underflows for many classes.
    return float(np.exp(np.log(sensitivities).mean()))


def top_k_hit(scores, truth: int, k: int = 5) -> bool:
    """Tell whether the true class is among the ``k`` highest scores.

    Parameters
    ----------
    scores : array-like
        Scores of one sample, shape ``(N,)`` or ``(1, N)`` (a batch of one).
    truth : int
        Index of the true class.
    k : int
        How many top classes count as a hit.

    Returns
    -------
    bool
        True when ``truth`` is one of the ``k`` classes with the highest score.
    """
    flat = np.asarray(scores).reshape(-1)
    if flat.size == 0:
        return False
    k = min(k, flat.size)
    top = np.argpartition(-flat, k - 1)[:k]
    return bool(int(truth) in top)


def top_k_accuracy(scores, truths, k: int = 5) -> float:
    """Fraction of samples whose true class is among their ``k`` best scores.

    Parameters
    ----------
    scores : array-like
        Shape ``(samples, classes)``.
    truths : array-like
        True class index of each sample.
    k : int
        How many top classes count as a hit.

    Returns
    -------
    float
        Value in [0, 1]; 0.0 when there are no samples.
    """
    scores = np.asarray(scores)
    truths = np.asarray(truths).reshape(-1)
    if len(truths) == 0:
        return 0.0
    if scores.ndim != 2 or scores.shape[0] != len(truths):
        raise ValueError(
            f"scores must have shape (samples, classes) matching {len(truths)} "
            f"truths, got {scores.shape}"
        )
    hits = sum(top_k_hit(row, t, k) for row, t in zip(scores, truths, strict=True))
    return hits / len(truths)
