"""Constants and helpers shared by the course tests (LiteRT readers)."""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 4
PER_CLASS = 10


def tflite_kernels(path) -> tuple[list[str], list[np.ndarray]]:
    """Return the op names and the weight tensors of conv and dense ops.

    Reads the file with the LiteRT interpreter without default delegates, so
    that the real op list is visible instead of one XNNPACK node.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    ops = interpreter._get_ops_details()
    kernels = [
        interpreter.get_tensor(op["inputs"][1])
        for op in ops
        if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
    ]
    return sorted({op["op_name"] for op in ops}), kernels


def tflite_run(path, inputs: np.ndarray) -> np.ndarray:
    """Run a float TFLite model on a batch, one sample at a time."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    results = []
    for sample in inputs:
        interpreter.set_tensor(inp["index"], sample[np.newaxis].astype(np.float32))
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"])[0])
    return np.stack(results)
