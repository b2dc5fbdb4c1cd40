"""Lab 02: run a Keras model as FP32 and INT8 TensorFlow Lite models.

Read dl_in_iot_course/l02_quantization/README.md first. You complete the
classes marked with TODO:

- NativeModel: print the model summary;
- FP32Model: convert the Keras model to FP32 TFLite and run it (Task 1);
- INT8Model: full-integer quantization with a calibration set (Task 2);
- ImbalancedINT8Model: calibration on a single class only (Task 3).

Run all variants (the embedded default data set and a tiny model when no
paths are given)::

    python3 -m dl_in_iot_course.l02_quantization.quantization_experiments \\
        --model-path models/pet-dataset-tensorflow.h5 \\
        --dataset-root build/pet-dataset/ \\
        --results-path build/results
"""

from __future__ import annotations

import sys

# Importing the course package first selects Keras 2 (tf-keras) for TensorFlow.
import dl_in_iot_course  # noqa: F401  isort: skip
import numpy as np  # noqa: F401  (for Task 2)
import tensorflow as tf  # noqa: F401  (for Tasks 1 and 2)
import tf_keras
from ai_edge_litert.interpreter import Interpreter  # noqa: F401  (for Tasks 1 and 2)

from dl_in_iot_course.misc.cli import run_lab
from dl_in_iot_course.misc.modeltester import ModelTester

README = "dl_in_iot_course/l02_quantization/README.md"


def todo(cls: str, method: str, section: str) -> NotImplementedError:
    """Return the error a method raises until you implement it."""
    return NotImplementedError(
        f"{cls}.{method} is not implemented yet: see '{section}' in {README}"
    )


class NativeModel(ModelTester):
    """The Keras model itself, run with TensorFlow (the baseline)."""

    def prepare_model(self):
        # TODO (NativeModel): after loading, print the model summary; see
        # 'NativeModel: the model summary' in the README.
        self.model = tf_keras.models.load_model(str(self.modelpath))

    def preprocess_input(self, X):
        self.X = X

    def run_inference(self):
        return self.model.predict(self.X, verbose=0)

    def postprocess_outputs(self, Y):
        return Y


class FP32Model(ModelTester):
    """The Keras model converted to TensorFlow Lite without quantization."""

    def optimize_model(self, originalmodel):
        # TODO (Task 1): load the Keras model from originalmodel, convert it to
        # TFLite (FP32, no optimizations) and write it to self.modelpath.
        raise todo("FP32Model", "optimize_model", "Task 1: FP32Model")

    def prepare_model(self):
        # TODO (Task 1): load the TFLite model from self.modelpath into an
        # interpreter and allocate its tensors.
        raise todo("FP32Model", "prepare_model", "Task 1: FP32Model")

    def preprocess_input(self, X):
        # TODO (Task 1): put the input sample X into the interpreter's input tensor.
        raise todo("FP32Model", "preprocess_input", "Task 1: FP32Model")

    def run_inference(self):
        # TODO (Task 1): run the interpreter and return its output tensor.
        raise todo("FP32Model", "run_inference", "Task 1: FP32Model")

    def postprocess_outputs(self, Y):
        # TODO (Task 1): return the class scores computed from the output Y.
        raise todo("FP32Model", "postprocess_outputs", "Task 1: FP32Model")


class INT8Model(ModelTester):
    """The Keras model quantized to 8-bit integers (weights and activations)."""

    def __init__(
        self,
        dataset,
        modelpath,
        originalmodel=None,
        logdir=None,
        calibrationdatasetpercent=0.5,
    ):
        self.calibrationdatasetpercent = calibrationdatasetpercent
        super().__init__(dataset, modelpath, originalmodel, logdir)

    def calibration_dataset_generator(self):
        """Yield ``[sample]`` lists of calibration inputs for the converter."""
        return self.dataset.calibration_dataset_generator(
            self.calibrationdatasetpercent
        )

    def optimize_model(self, originalmodel):
        # TODO (Task 2): load the Keras model, convert it to TFLite with full
        # INT8 quantization (int8 inputs and outputs) calibrated on
        # self.calibration_dataset_generator, and write it to self.modelpath.
        raise todo("INT8Model", "optimize_model", "Task 2: INT8Model")

    def prepare_model(self):
        # TODO (Task 2): load the TFLite model and allocate its tensors.
        raise todo("INT8Model", "prepare_model", "Task 2: INT8Model")

    def preprocess_input(self, X):
        # TODO (Task 2): quantize X with the input tensor's scale and zero
        # point and put it into the input tensor.
        raise todo("INT8Model", "preprocess_input", "Task 2: INT8Model")

    def run_inference(self):
        # TODO (Task 2): run the interpreter and return its output tensor.
        raise todo("INT8Model", "run_inference", "Task 2: INT8Model")

    def postprocess_outputs(self, Y):
        # TODO (Task 2): dequantize Y with the output tensor's scale and zero point.
        raise todo("INT8Model", "postprocess_outputs", "Task 2: INT8Model")


class ImbalancedINT8Model(INT8Model):
    """INT8 quantization calibrated on the images of one class only."""

    def calibration_dataset_generator(self):
        # TODO (Task 3): yield [sample] lists made only from training images
        # of the first class (class id 0), at most as many as the balanced
        # calibration set would hold.
        raise todo(
            "ImbalancedINT8Model",
            "calibration_dataset_generator",
            "Task 3: ImbalancedINT8Model",
        )


CALIBRATION = (0.01, 0.08, 0.3, 0.8)
VARIANTS = (
    ["native", "tflite-fp32"]
    + [f"tflite-int8-{p}" for p in CALIBRATION]
    + ["tflite-imbint8"]
)
GROUPS = {"int8-all": [f"tflite-int8-{p}" for p in CALIBRATION]}


def make_tasks(dataset, model_path, results_path, args):
    """Return ``variant name -> function that builds the variant``."""
    stem = model_path.stem
    tasks = {
        "native": lambda: NativeModel(dataset, model_path),
        "tflite-fp32": lambda: FP32Model(
            dataset, results_path / f"{stem}.fp32.tflite", model_path
        ),
        "tflite-imbint8": lambda: ImbalancedINT8Model(
            dataset,
            results_path / f"{stem}.imbint8.tflite",
            model_path,
            calibrationdatasetpercent=0.3,
        ),
    }
    for p in CALIBRATION:
        tasks[f"tflite-int8-{p}"] = lambda p=p: INT8Model(
            dataset,
            results_path / f"{stem}.int8-{p}.tflite",
            model_path,
            calibrationdatasetpercent=p,
        )
    return tasks


def main(argv=None) -> int:
    """Run the lab 02 experiments; see ``--help``."""
    return run_lab(
        argv,
        prog="python3 -m dl_in_iot_course.l02_quantization.quantization_experiments",
        description="Run a Keras model natively, as FP32 TFLite and as INT8 TFLite "
        "with calibration sets of several sizes, and evaluate every variant.",
        make_tasks=make_tasks,
        variants=VARIANTS,
        groups=GROUPS,
    )


if __name__ == "__main__":
    sys.exit(main())
