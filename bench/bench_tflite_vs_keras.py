"""FP32 TFLite invoke vs Keras predict, per image, on the MobileNetV2 pet model.

Builds the lab's classifier (MobileNetV2 backbone and the dense head, 4.16 M
parameters) with random weights, converts it to FP32 TFLite, and times one
image at a time: ``model.predict(x)`` (what NativeModel does), the direct call
``model(x, training=False)`` for reference, and ``Interpreter.invoke()`` of
LiteRT (XNNPACK delegate; the default thread count as the labs run it, one
thread, and one thread per core). Prints the median, mean and minimum
milliseconds per image and the speed-up of the best TFLite median over the
``predict`` median. Target: TFLite at least 10x faster than ``predict``. Run
it on an idle machine: on 2 shared cores the figures swing with other load.

Usage: ``python bench/bench_tflite_vs_keras.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
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
        x = np.random.default_rng(0).normal(size=(1, 224, 224, 3)).astype(np.float32)

        def make_runner(num_threads):
            interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
            inp = interpreter.get_input_details()[0]
            out = interpreter.get_output_details()[0]

            def run():
                interpreter.set_tensor(inp["index"], x)
                interpreter.invoke()
                return interpreter.get_tensor(out["index"])

            return run

        tflite = make_runner(None)  # the labs' setting: LiteRT's default
        tflite_1 = make_runner(1)
        tflite_all = make_runner(os.cpu_count() or 1)
        keras_out = model.predict(x, verbose=0)
        difference = np.abs(tflite() - keras_out).max()
        scale = np.abs(keras_out).max()
        predict = timed(lambda: model.predict(x, verbose=0), args.runs)
        call = timed(lambda: model(x, training=False), args.runs)
        invoke = timed(tflite, args.runs)
        invoke_1 = timed(tflite_1, args.runs)
        invoke_all = timed(tflite_all, args.runs)

    print(
        f"max |TFLite - Keras| on one image: {difference:.2e} "
        f"(largest |output| {scale:.2e})"
    )
    print(f"{'method':<32} {'median ms':>10} {'mean ms':>9} {'min ms':>8}")
    for name, times in (
        ("Keras model.predict(x)", predict),
        ("Keras model(x, training=False)", call),
        ("TFLite invoke(), default threads", invoke),
        ("TFLite invoke(), 1 thread", invoke_1),
        (f"TFLite invoke(), {os.cpu_count()} threads", invoke_all),
    ):
        print(
            f"{name:<32} {statistics.median(times):10.2f} "
            f"{statistics.mean(times):9.2f} {min(times):8.2f}"
        )
    tflite_runs = (invoke, invoke_1, invoke_all)
    best = min(statistics.median(times) for times in tflite_runs)
    speedup = statistics.median(predict) / best
    verdict = "OK" if speedup >= TARGET_SPEEDUP else "BELOW TARGET"
    print(
        f"TFLite vs predict: {speedup:.1f}x faster "
        f"(target >= {TARGET_SPEEDUP:.0f}x): {verdict}"
    )
    print(f"TFLite vs direct call: {statistics.median(call) / best:.1f}x faster")
    fastest = min(min(times) for times in tflite_runs)
    print(
        f"fastest runs (least disturbed by other load): predict {min(predict):.2f}"
        f" ms vs TFLite {fastest:.2f} ms, {min(predict) / fastest:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
