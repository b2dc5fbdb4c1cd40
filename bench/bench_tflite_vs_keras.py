"""FP32 TFLite invoke vs Keras predict, per image, on the MobileNetV2 pet model.

Builds the lab's classifier (MobileNetV2 backbone and the dense head, 4.16 M
parameters) with random weights, converts it to FP32 TFLite, and times one
image at a time: ``model.predict(x)`` (what NativeModel does), the direct call
``model(x, training=False)`` for reference, and ``Interpreter.invoke()`` of
LiteRT (with its default XNNPACK delegate, as the labs run it). Prints the
median and mean milliseconds per image and the speed-up. Target: TFLite at
least 10x faster than ``predict``.

Usage: ``python bench/bench_tflite_vs_keras.py [--runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dl_in_iot_course  # noqa: F401  isort: skip
import numpy as np

TARGET_SPEEDUP = 10.0


def timed(function, runs: int, warmup: int = 3) -> list[float]:
    """Call ``function`` ``warmup`` times, then return ``runs`` timings in ms."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per method")
    args = parser.parse_args()

    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from dl_in_iot_course.training.pet_training import build_pet_model

    model, _ = build_pet_model(37, weights=None)
    print(f"model: MobileNetV2 + dense head, {model.count_params():,} parameters")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pets-fp32.tflite"
        path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
        print(f"FP32 TFLite size: {path.stat().st_size / 1e6:.2f} MB")
        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
        inp = interpreter.get_input_details()[0]
        out = interpreter.get_output_details()[0]

        x = np.random.default_rng(0).normal(size=(1, 224, 224, 3)).astype(np.float32)

        def tflite():
            interpreter.set_tensor(inp["index"], x)
            interpreter.invoke()
            return interpreter.get_tensor(out["index"])

        difference = np.abs(tflite() - model.predict(x, verbose=0)).max()
        predict = timed(lambda: model.predict(x, verbose=0), args.runs)
        call = timed(lambda: model(x, training=False), args.runs)
        invoke = timed(tflite, args.runs)

    print(f"max |TFLite - Keras| on one image: {difference:.2e}")
    print(f"{'method':<32} {'median ms':>10} {'mean ms':>9}")
    for name, times in (
        ("Keras model.predict(x)", predict),
        ("Keras model(x, training=False)", call),
        ("TFLite interpreter.invoke()", invoke),
    ):
        print(
            f"{name:<32} {statistics.median(times):10.2f} {statistics.mean(times):9.2f}"
        )
    speedup = statistics.median(predict) / statistics.median(invoke)
    verdict = "OK" if speedup >= TARGET_SPEEDUP else "BELOW TARGET"
    print(
        f"TFLite vs predict: {speedup:.1f}x faster "
        f"(target >= {TARGET_SPEEDUP:.0f}x): {verdict}"
    )
    print(
        "TFLite vs direct call: "
        f"{statistics.median(call) / statistics.median(invoke):.1f}x faster"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
