"""The base class of every model variant in the labs.

A lab subclass fills in four steps: :meth:`ModelTester.prepare_model` loads
the model, :meth:`ModelTester.preprocess_input` takes one input sample,
:meth:`ModelTester.run_inference` runs the model on it and
:meth:`ModelTester.postprocess_outputs` turns the raw output into class
scores. Variants that build a model from another one (a TFLite conversion, a
pruned copy ...) also override :meth:`ModelTester.optimize_model`.
:meth:`ModelTester.test_inference` then runs the steps over the test images
and writes the metrics and the confusion matrix.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dl_in_iot_course.misc.draw import draw_confusion_matrix


class ModelTester:
    """Run one model variant on a data set and measure it.

    Parameters
    ----------
    dataset : PetDataset
        The data set to evaluate on (also used for fine-tuning and calibration).
    modelpath : path-like
        Path of the model this variant runs. For optimised variants this is
        where :meth:`optimize_model` writes the new model.
    originalmodel : path-like, optional
        The model to optimise. When given, :meth:`optimize_model` is called with
        it before :meth:`prepare_model`.
    logdir : path-like, optional
        Directory for training logs (e.g. TensorBoard), if a variant wants
        one; it is created.
    """

    def __init__(self, dataset, modelpath, originalmodel=None, logdir=None):
        self.dataset = dataset
        self.modelpath = Path(modelpath)
        self.originalmodel = Path(originalmodel) if originalmodel else None
        self.logdir = Path(logdir) if logdir else None
        if self.logdir is not None:
            self.logdir.mkdir(parents=True, exist_ok=True)
        self.timemeasurements: list[float] = []
        if self.originalmodel is not None:
            self.modelpath.parent.mkdir(parents=True, exist_ok=True)
            self.optimize_model(self.originalmodel)
        self.prepare_model()

    # Steps the labs implement -------------------------------------------
    def optimize_model(self, originalmodel):
        """Build the model of this variant from ``originalmodel`` and save it.

        Called only when ``originalmodel`` was given; the default does nothing.
        """

    def prepare_model(self):
        """Load the model from :attr:`modelpath` so it is ready for inference."""
        raise NotImplementedError(
            f"{type(self).__name__}.prepare_model is not implemented"
        )

    def preprocess_input(self, X):
        """Take one input sample ``X`` (shape ``(1, 224, 224, 3)``, float32).

        Store it (or a converted copy) where :meth:`run_inference` finds it.
        """
        raise NotImplementedError(
            f"{type(self).__name__}.preprocess_input is not implemented"
        )

    def run_inference(self):
        """Run the model on the last preprocessed input and return its raw output."""
        raise NotImplementedError(
            f"{type(self).__name__}.run_inference is not implemented"
        )

    def postprocess_outputs(self, Y):
        """Turn the raw output ``Y`` into class scores of shape ``(1, classes)``.

        The default returns ``Y`` unchanged, which is right for a model whose
        output already is the class scores (as every version of the course
        has had it).
        """
        return Y

    # The measurement ------------------------------------------------------
    def run_one(self, sample) -> np.ndarray:
        """Run the four steps on one image path and return the class scores.

        The inference time (``run_inference`` only) is appended to
        :attr:`timemeasurements` in seconds.
        """
        X = self.dataset.prepare_input_sample(sample)
        self.preprocess_input(X)
        start = time.perf_counter()
        Y = self.run_inference()
        self.timemeasurements.append(time.perf_counter() - start)
        return np.asarray(self.postprocess_outputs(Y))

    def test_inference(
        self, resultspath: str | os.PathLike, prefix: str, fraction: float = 1.0
    ) -> dict[str, float]:
        """Evaluate the model on the test split and write the results.

        Parameters
        ----------
        resultspath : path-like
            Directory of the results (created if needed).
        prefix : str
            Name of the variant, e.g. ``clustered-4-fp32``.
        fraction : float
            Fraction of the test images to use (a stratified, seeded subset).

        Returns
        -------
        dict
            The metrics written to ``<prefix>-metrics.md``.
        """
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"the test fraction must be in (0, 1], got {fraction}")
        resultspath = Path(resultspath)
        resultspath.mkdir(parents=True, exist_ok=True)
        self.dataset.reset_metrics()
        self.timemeasurements = []
        paths, labels = self.dataset.test_subset(fraction)
        for path, label in tqdm(
            list(zip(paths, labels, strict=True)), desc=prefix, unit="img"
        ):
            self.dataset.evaluate(self.run_one(path), label)
        results = self.dataset.get_metrics()
        times = np.array(self.timemeasurements or [0.0]) * 1000.0
        results["inference_time_ms"] = float(times.mean())
        results["inference_time_std_ms"] = float(times.std())
        self.write_metrics(resultspath / f"{prefix}-metrics.md", prefix, results)
        draw_confusion_matrix(
            self.dataset.confusion_matrix,
            resultspath / f"{prefix}-confusion-matrix.png",
            f"Confusion matrix: {prefix}",
            self.dataset.classnames,
        )
        return results

    @staticmethod
    def write_metrics(path: Path, prefix: str, results: dict[str, float]) -> None:
        """Write the metrics as a small Markdown table."""
        rows = [
            ("Accuracy", f"{results['accuracy']:.6f}"),
            ("Mean precision", f"{results['mean_precision']:.6f}"),
            ("Mean sensitivity", f"{results['mean_sensitivity']:.6f}"),
            ("G-mean", f"{results['g_mean']:.6f}"),
            ("Top-5 accuracy", f"{results['top_5']:.6f}"),
            (
                "Mean inference time",
                f"{results['inference_time_ms']:.3f} ms "
                f"(std {results['inference_time_std_ms']:.3f} ms)",
            ),
            ("Test samples", f"{results['samples']}"),
        ]
        lines = [f"# Metrics of {prefix}", "", "| Metric | Value |", "| --- | ---: |"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
