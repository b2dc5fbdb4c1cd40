"""Lab 02: run a Keras model as FP32 and INT8 TensorFlow Lite models.

Read dl_in_iot_course/l02_quantization/README.md first. You complete the
classes marked with TODO:

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
import numpy as np
import tensorflow as tf
import tf_keras
from ai_edge_litert.interpreter import Interpreter

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
        self.model = tf_keras.models.load_model(str(self.modelpath))
        self.model.summary()

    def preprocess_input(self, X):
        self.X = X

    def run_inference(self):
        return self.model.predict(self.X, verbose=0)

    def postprocess_outputs(self, Y):
        return Y


class FP32Model(ModelTester):
    """The Keras model converted to TensorFlow Lite without quantization."""

    def optimize_model(self, originalmodel):
        model = tf_keras.models.load_model(str(originalmodel))
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        tflite_model = converter.convert()
        with open(self.modelpath, "wb") as modelfile:
            modelfile.write(tflite_model)

    def prepare_model(self):
        self.interpreter = Interpreter(model_path=str(self.modelpath))
        self.interpreter.allocate_tensors()
        self.input_details = self.interpreter.get_input_details()[0]
        self.output_details = self.interpreter.get_output_details()[0]

    def preprocess_input(self, X):
        X = X.astype(self.input_details["dtype"])
        self.interpreter.set_tensor(self.input_details["index"], X)

    def run_inference(self):
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_details["index"])

    def postprocess_outputs(self, Y):
        return Y


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
        model = tf_keras.models.load_model(str(originalmodel))
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = self.calibration_dataset_generator
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        tflite_model = converter.convert()
        with open(self.modelpath, "wb") as modelfile:
            modelfile.write(tflite_model)

    def prepare_model(self):
        self.interpreter = Interpreter(model_path=str(self.modelpath))
        self.interpreter.allocate_tensors()
        self.input_details = self.interpreter.get_input_details()[0]
        self.output_details = self.interpreter.get_output_details()[0]

    def preprocess_input(self, X):
        scale, zero_point = self.input_details["quantization"]
        quantized = np.round(X / scale + zero_point)
        quantized = np.clip(quantized, -128, 127).astype(np.int8)
        self.interpreter.set_tensor(self.input_details["index"], quantized)

    def run_inference(self):
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_details["index"])

    def postprocess_outputs(self, Y):
        scale, zero_point = self.output_details["quantization"]
        return (Y.astype(np.float32) - zero_point) * scale


class ImbalancedINT8Model(INT8Model):
    """INT8 quantization calibrated on the images of one class only."""

    def calibration_dataset_generator(self):
        X, Y = self.dataset.trainvalX, self.dataset.trainvalY
        count = max(1, int(round(len(X) * self.calibrationdatasetpercent)))
        firstclass = [path for path, label in zip(X, Y, strict=True) if label == 0]
        for path in firstclass[:count]:
            yield [self.dataset.prepare_input_sample(path)]


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
