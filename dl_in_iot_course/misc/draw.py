"""Plots of the lab results."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; works without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def draw_confusion_matrix(
    confusion_matrix,
    outpath: str | os.PathLike | None,
    title: str,
    classnames: Sequence[str],
    normalize: bool = True,
    dpi: int = 120,
):
    """Draw a confusion matrix indexed ``[truth, prediction]`` as a heat map.

    Rows are the true classes and columns the predicted ones. With
    ``normalize`` each row is divided by its total, so the colour of a cell is
    the fraction of that class predicted as the column's class, whatever the
    class sizes. Cell values are printed when there are at most 16 classes;
    the figure grows with the number of classes so that 37 labels stay legible.

    Parameters
    ----------
    confusion_matrix : array-like
        Square matrix of counts.
    outpath : path-like or None
        PNG file to write; with None the figure is returned open.
    title : str
        Title of the plot.
    classnames : sequence of str
        Name of each class, in class-id order.
    normalize : bool
        Colour by row fraction instead of raw counts.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    matplotlib.figure.Figure or None
        The figure when ``outpath`` is None, otherwise None (the file is written
        and the figure closed).
    """
    matrix = np.asarray(confusion_matrix, dtype=np.float64)
    count = matrix.shape[0]
    if len(classnames) != count:
        raise ValueError(f"{len(classnames)} class names for {count} classes")
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        shown = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    else:
        shown = matrix
    side = float(np.clip(2.5 + 0.28 * count, 5.0, 16.0))
    label_size = float(np.clip(13 - 0.15 * count, 7.5, 11))
    fig, ax = plt.subplots(figsize=(side + 1.8, side + 0.8), layout="constrained")
    image = ax.imshow(
        shown,
        cmap="Blues",
        vmin=0.0,
        vmax=1.0 if normalize else max(1.0, shown.max()),
        interpolation="nearest",
    )
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
    colorbar.set_label("fraction of the true class" if normalize else "samples")
    ticks = np.arange(count)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels(classnames, rotation=90, fontsize=label_size)
    ax.set_yticklabels(classnames, fontsize=label_size)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    # Thin grid between cells so rows and columns can be followed by eye.
    ax.set_xticks(ticks - 0.5, minor=True)
    ax.set_yticks(ticks - 0.5, minor=True)
    ax.grid(which="minor", color="#dddddd", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    if count <= 16:
        for i in range(count):
            for j in range(count):
                if matrix[i, j] == 0:
                    continue
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=label_size - 1,
                    color="white"
                    if shown[i, j] > 0.6 * (shown.max() or 1)
                    else "black",
                )
    if outpath is None:
        return fig
    Path(outpath).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(outpath, dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return None
