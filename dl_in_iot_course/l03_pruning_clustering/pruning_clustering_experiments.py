"""Lab 03: compress a Keras model by clustering and pruning, then run it as TFLite.

Read dl_in_iot_course/l03_pruning_clustering/README.md first. You complete
three classes, each marked with TODO:

- TFMOTOptimizedModel: runs the compressed FP32 TensorFlow Lite model
  (Task 1);
- ClusteredModel.compress_and_fine_tune: weight clustering (Task 2);
- PrunedModel.compress_and_fine_tune: magnitude pruning (Task 3).

Run all variants (the embedded default data set and a tiny model when no
paths are given)::

    python3 -m dl_in_iot_course.l03_pruning_clustering.pruning_clustering_experiments \\
        --model-path models/pet-dataset-tensorflow.h5 \\
        --dataset-root build/pet-dataset/ \\
        --results-path build/results
"""

from __future__ import annotations

import sys

# Importing the course package first selects Keras 2 (tf-keras) for TensorFlow;
# TFMOT does not work with Keras 3.
import dl_in_iot_course  # noqa: F401  isort: skip
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras
from ai_edge_litert.interpreter import Interpreter  # noqa: F401  (for Task 1)

from dl_in_iot_course.misc.cli import run_lab
from dl_in_iot_course.misc.modeltester import ModelTester

README = "dl_in_iot_course/l03_pruning_clustering/README.md"


def todo(cls: str, method: str, section: str) -> NotImplementedError:
    """Return the error a method raises until you implement it."""
    return NotImplementedError(
        f"{cls}.{method} is not implemented yet: see '{section}' in {README}"
    )


class TFMOTOptimizedModel(ModelTester):
    """A model compressed with TFMOT, fine-tuned, and run as FP32 TFLite.

    Subclasses implement :meth:`compress_and_fine_tune`, which must write the
    TFLite model to ``self.modelpath``; this class then runs that file.
    """

    def prepare_model(self):
        # TODO (Task 1): load the TFLite model from self.modelpath into an
        # interpreter and allocate its tensors.
        raise todo(
            "TFMOTOptimizedModel", "prepare_model", "Task 1: TFMOTOptimizedModel"
        )

    def preprocess_input(self, X):
        # TODO (Task 1): put the input sample X into the interpreter's input tensor.
        raise todo(
            "TFMOTOptimizedModel", "preprocess_input", "Task 1: TFMOTOptimizedModel"
        )

    def run_inference(self):
        # TODO (Task 1): run the interpreter and return its output tensor.
        raise todo(
            "TFMOTOptimizedModel", "run_inference", "Task 1: TFMOTOptimizedModel"
        )

    def postprocess_outputs(self, Y):
        # TODO (Task 1): return the class scores computed from the output Y.
        raise todo(
            "TFMOTOptimizedModel", "postprocess_outputs", "Task 1: TFMOTOptimizedModel"
        )

    def optimize_model(self, originalmodel):
        """Prepare the data and training objects, then compress the model.

        Sets ``self.traindataset`` and ``self.validdataset`` (tf.data, batches
        of ``self.batch_size`` = 8, 40 % of the training images held out for
        validation, light augmentation of the training part),
        ``self.optimizer`` (Adam with ``self.learning_rate``), ``self.loss``,
        ``self.metrics`` and ``self.epochs``, and calls
        :meth:`compress_and_fine_tune` with the path of the original model.
        """
        self.batch_size = 8
        self.learning_rate = 1e-5
        mean = tf.constant(self.dataset.mean)
        std = tf.constant(self.dataset.std)
        numclasses = self.dataset.numclasses

        def load(path, label, augment):
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            image = tf.image.resize(image, self.dataset.IMAGE_SIZE) / 255.0
            if augment:
                image = tf.image.random_brightness(image, 0.1)
                image = tf.image.random_contrast(image, 0.8, 1.2)
                image = tf.clip_by_value(image, 0.0, 1.0)
            image = (image - mean) / std
            return image, tf.one_hot(label, numclasses)

        def make_dataset(paths, labels, augment):
            data = tf.data.Dataset.from_tensor_slices(
                ([str(p) for p in paths], list(labels))
            )
            if augment:
                data = data.shuffle(len(paths), seed=12345)
            data = data.map(
                lambda x, y: load(x, y, augment), num_parallel_calls=tf.data.AUTOTUNE
            )
            return data.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)

        trainX, validX, trainY, validY = self.dataset.split_dataset(0.4)
        self.traindataset = make_dataset(trainX, trainY, augment=True)
        self.validdataset = make_dataset(validX, validY, augment=False)
        self.optimizer = tf_keras.optimizers.Adam(learning_rate=self.learning_rate)
        self.loss = tf_keras.losses.CategoricalCrossentropy(from_logits=True)
        self.metrics = [tf_keras.metrics.CategoricalAccuracy()]
        self.epochs = 1
        self.compress_and_fine_tune(originalmodel)

    def compress_and_fine_tune(self, originalmodel):
        """Compress and fine-tune the Keras model, write the TFLite file.

        Each subclass implements this method.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement compress_and_fine_tune"
        )


class ClusteredModel(TFMOTOptimizedModel):
    """Weight clustering: each kernel keeps only ``num_clusters`` distinct values."""

    def __init__(
        self, dataset, modelpath, originalmodel=None, logdir=None, num_clusters=16
    ):
        self.num_clusters = num_clusters
        super().__init__(dataset, modelpath, originalmodel, logdir)

    def compress_and_fine_tune(self, originalmodel):
        # TODO (Task 2): load the Keras model from originalmodel, make all of it
        # trainable, cluster its weights into self.num_clusters clusters with
        # linear centroid initialisation, compile and fit it with the objects
        # prepared in optimize_model, remove the clustering wrappers, convert
        # the model to FP32 TFLite and write it to self.modelpath.
        raise todo("ClusteredModel", "compress_and_fine_tune", "Task 2: ClusteredModel")


class PrunedModel(TFMOTOptimizedModel):
    """Magnitude pruning: the smallest weights of each kernel become zero."""

    def __init__(
        self, dataset, modelpath, originalmodel=None, logdir=None, target_sparsity=0.5
    ):
        self.target_sparsity = target_sparsity
        super().__init__(dataset, modelpath, originalmodel, logdir)

    def compress_and_fine_tune(self, originalmodel):
        self.epochs = 4
        self.sched = tfmot.sparsity.keras.ConstantSparsity(
            self.target_sparsity, begin_step=0, end_step=1, frequency=1
        )
        # TODO (Task 3): load the Keras model from originalmodel, wrap it for
        # pruning with the schedule self.sched, compile and fit it with the
        # objects prepared in optimize_model and the callback that advances the
        # pruning step, remove the pruning wrappers, convert the model to FP32
        # TFLite and write it to self.modelpath.
        raise todo("PrunedModel", "compress_and_fine_tune", "Task 3: PrunedModel")


CLUSTERS = (2, 4, 8, 16, 32)
SPARSITIES = (0.2, 0.4, 0.5)
VARIANTS = [f"clustered-{k}-fp32" for k in CLUSTERS] + [
    f"pruned-{s}-fp32" for s in SPARSITIES
]
GROUPS = {
    "clustered-all": [f"clustered-{k}-fp32" for k in CLUSTERS],
    "pruned-all": [f"pruned-{s}-fp32" for s in SPARSITIES],
}


def make_tasks(dataset, model_path, results_path, args):
    """Return ``variant name -> function that builds the variant``."""
    stem = model_path.stem
    logdir = results_path / "logs"
    tasks = {}
    for k in CLUSTERS:
        tasks[f"clustered-{k}-fp32"] = lambda k=k: ClusteredModel(
            dataset,
            results_path / f"{stem}-clustered-{k}.tflite",
            model_path,
            logdir / f"clustered-{k}",
            num_clusters=k,
        )
    for s in SPARSITIES:
        tasks[f"pruned-{s}-fp32"] = lambda s=s: PrunedModel(
            dataset,
            results_path / f"{stem}-pruned-{s}.tflite",
            model_path,
            logdir / f"pruned-{s}",
            target_sparsity=s,
        )
    return tasks


def main(argv=None) -> int:
    """Run the lab 03 experiments; see ``--help``."""
    return run_lab(
        argv,
        prog="python3 -m dl_in_iot_course.l03_pruning_clustering."
        "pruning_clustering_experiments",
        description="Cluster and prune a Keras model with TFMOT, fine-tune it, "
        "convert it to TFLite and evaluate every variant.",
        make_tasks=make_tasks,
        variants=VARIANTS,
        groups=GROUPS,
    )


if __name__ == "__main__":
    sys.exit(main())
