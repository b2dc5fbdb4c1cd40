"""Verify the structured-pruning models outside the student's process.

Called by :func:`grading.hidden.artifacts.verify` for the ``[[model]]``
entries of ``artifacts.toml`` whose ``kind`` is in :data:`KINDS`. The hidden
run (``structured_fixtures``) leaves in the artifacts folder the final state
dict, the ONNX and TFLite files and the state dicts of the models the
conversion methods were called on; this module loads them itself:

- ``structured_shapes``: the state dict saved after the speedup (else the
  final one) has the pruned shapes;
- ``structured_final_layer``: its final linear layer keeps its 10 outputs;
- ``structured_pruned`` (proof of compress()): the masks it returned zero
  ``sparsity`` of the outputs of every masked layer but the final one, or the
  model saved after the speedup has the pruned shapes;
- ``structured_tuned`` (proof of fine-tuning): the final model has the
  shapes of the model fine-tuning started from and other weights;
- ``structured_onnx`` / ``structured_tflite``: the file loads (ONNX's
  checker and reference evaluator; LiteRT) and gives the outputs of the
  PyTorch model it was converted from, run by the grader, within
  ``tolerance``; ``pruned`` says whether it holds as many weights as the
  pruned model (shown with the item, scored by the speedup item's checks).

State dicts are read with ``torch.load(weights_only=True)``, which refuses
pickled code. Nothing the student's process wrote is trusted beyond file
contents: the manifest only contributes short error texts. When torch or
onnx is missing here the checks fail with ``not_runnable``, which holds the
items for a person. When the hidden run of this part did not happen at all
(the part is off) there is nothing to report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("structured_shapes", "structured_final_layer", "structured_onnx",
         "structured_tflite", "structured_pruned", "structured_tuned")  # fmt: skip
MANIFEST = "structured-manifest.json"
NAMES = {
    "structured_shapes": ["shapes"],
    "structured_final_layer": ["final_layer"],
    "structured_onnx": ["loads", "pruned", "outputs"],
    "structured_tflite": ["loads", "pruned", "outputs"],
    "structured_pruned": ["pruned"],
    "structured_tuned": ["changed"],
}


def _outcome(passed: bool, message: str, code: str = "", evidence: str = "") -> dict:
    return {"passed": passed, "message": message, "code": code, "evidence": evidence}


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The hidden run's manifest, reduced to short strings; None when absent."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8")[:200_000])
    except (OSError, ValueError):
        return {"missing": [], "error": ""}
    if not isinstance(raw, dict):
        return {"missing": [], "error": ""}
    missing = raw.get("missing") if isinstance(raw.get("missing"), list) else []
    error = raw.get("error") or raw.get("import_error")
    message = error.get("message", "") if isinstance(error, dict) else ""
    return {
        "missing": [str(m)[:200] for m in missing][:10],
        "error": str(message)[:500],
    }


def _all(kind: str, outcome: dict) -> dict[str, dict]:
    return {name: dict(outcome) for name in NAMES[kind]}


def _load_state(path: Path) -> dict:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(
            f"{path.name} holds a {type(state).__name__}, not a state dict"
        )
    return state


def _inputs(model: dict) -> np.ndarray:
    rng = np.random.default_rng(int(model.get("inputs_seed", 0)))
    return rng.standard_normal(
        [int(model.get("inputs_count", 3)), 1, 1, 28, 28]
    ).astype(np.float32)


def _torch_outputs(source: Path, inputs: np.ndarray) -> np.ndarray:
    import torch

    from dl_in_iot_course.misc.fashion_net import net_from_state_dict

    net = net_from_state_dict(_load_state(source))
    with torch.no_grad():
        return np.stack([net(torch.from_numpy(x)).numpy().reshape(-1) for x in inputs])


def _check_state(model: dict, folder: Path) -> dict[str, dict]:
    from dl_in_iot_course.misc.fashion_net import layer_shapes

    kind = model["kind"]
    path = folder / model["file"]
    if not path.is_file() and model.get("fallback"):
        path = folder / model["fallback"]
    if not path.is_file():
        return _all(
            kind, _outcome(False, "no model was saved after the speedup", "missing")
        )
    try:
        shapes = layer_shapes(_load_state(path))
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return _all(
            kind,
            _outcome(
                False, f"the saved model could not be read ({exc})", "load_failed"
            ),
        )
    listing = ", ".join(f"{k} {v}" for k, v in shapes.items())
    if kind == "structured_final_layer":
        want = int(model["final_outputs"])
        seen = shapes.get(model["final_layer"])
        ok = bool(seen) and seen[0] == want
        message = (
            f"the final layer {model['final_layer']} keeps its {want} outputs"
            if ok
            else f"expected the final layer {model['final_layer']} to keep its "
            f"{want} outputs; its weights have shape {seen}"
        )
        return {
            "final_layer": _outcome(ok, message, "" if ok else "final_layer_pruned")
        }
    want = {k: [int(s) for s in v] for k, v in model["shapes"].items()}
    wrong = {k: shapes.get(k) for k, v in want.items() if shapes.get(k) != v}
    if not wrong:
        return {"shapes": _outcome(True, "the saved model has the pruned shapes")}
    return {
        "shapes": _outcome(
            False,
            "expected the pruned shapes "
            + ", ".join(f"{k} {v}" for k, v in want.items())
            + "; seen "
            + ", ".join(f"{k} {v}" for k, v in wrong.items()),
            "not_pruned",
            listing,
        )
    }


def _mask_shares(path: Path, final: str) -> dict[str, tuple[float, int]]:
    """Per masked layer but ``final``: the share of outputs zeroed, and their count."""
    shares = {}
    for layer, mask in _load_state(path).items():
        weight = mask.get("weight") if isinstance(mask, dict) else None
        if layer == final or weight is None or weight.dim() < 2:
            continue
        rows = weight.reshape(weight.shape[0], -1)
        zero = float((rows.abs().sum(dim=1) == 0).float().mean())
        shares[str(layer)] = (zero, int(weight.shape[0]))
    return shares


def _check_pruned(model: dict, folder: Path) -> dict[str, dict]:
    """compress() pruned: its masks at the sparsity, or the pruned shapes."""
    want = float(model["sparsity"])
    path = folder / model["masks"]
    shares: dict[str, tuple[float, int]] = {}
    problem = "no masks of compress() were saved"
    if path.is_file():
        try:
            shares = _mask_shares(path, str(model["final_layer"]))
            problem = "the masks prune no layer"
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            problem = f"the masks could not be read ({type(exc).__name__})"
    # One output of slack: a layer of n outputs cannot be pruned finer than 1/n.
    wrong = {k: v for k, (v, n) in shares.items() if abs(v - want) > 1.0 / n + 1e-6}
    if shares and not wrong:
        listing = ", ".join(f"{k} {v:.0%}" for k, (v, _) in shares.items())
        return {"pruned": _outcome(True, f"compress() masked {listing} of the outputs")}
    if wrong:
        zeroed = ", ".join(f"{k} {v:.0%}" for k, v in wrong.items())
        problem = f"the masks zero {zeroed} of the outputs, not {want:.0%}"
    shapes = _check_state({**model, "kind": "structured_shapes"}, folder)["shapes"]
    if shapes["passed"]:
        return {"pruned": _outcome(True, "the model after the speedup is pruned")}
    message = f"no proof that the model was pruned: {problem}, and {shapes['message']}"
    return {"pruned": _outcome(False, message, "not_pruned")}


def _check_tuned(model: dict, folder: Path) -> dict[str, dict]:
    """Fine-tuning changed the weights of the model it started from."""
    from dl_in_iot_course.misc.fashion_net import layer_shapes

    final, start = folder / model["file"], folder / model["start"]
    if not final.is_file() or not start.is_file():
        missing = "the final model" if not final.is_file() else "no fine-tuning run"
        message = f"no proof of fine-tuning: {missing} was saved"
        return {"changed": _outcome(False, message, "missing")}
    try:
        after, before = _load_state(final), _load_state(start)
        same = layer_shapes(after) == layer_shapes(before)
        diff = max(
            float((after[k].float() - before[k].float()).abs().max())
            for k in before
            if k in after and after[k].shape == before[k].shape
        )
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        message = f"the final model could not be compared ({type(exc).__name__})"
        return {"changed": _outcome(False, message, "load_failed")}
    ok = same and diff > 0
    message = (
        "the final model is the fine-tuned pruned model (weights moved by up "
        f"to {diff:.2g})"
        if ok
        else "the final model is not the fine-tuned model: "
        + ("its layer shapes differ" if not same else "its weights did not change")
    )
    return {"changed": _outcome(ok, message, "" if ok else "not_fine_tuned")}


def _onnx(path: Path, inputs: np.ndarray) -> tuple[int, np.ndarray]:
    import onnx
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator

    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    count = sum(
        int(np.prod(t.dims)) for t in graph.graph.initializer if len(t.dims) >= 2
    )
    count += sum(
        int(numpy_helper.to_array(n.attribute[0].t).size)
        for n in graph.graph.node
        if n.op_type == "Constant" and n.attribute and n.attribute[0].t.dims
        and len(n.attribute[0].t.dims) >= 2
    )  # fmt: skip
    session = ReferenceEvaluator(graph)
    name = graph.graph.input[0].name
    outputs = np.stack([np.asarray(session.run(None, {name: x})[0]).reshape(-1)
                        for x in inputs])  # fmt: skip
    return count, outputs


def _tflite(path: Path, inputs: np.ndarray) -> tuple[int, np.ndarray]:
    from grading.hidden.tflite import _interpreter, file_kind, run_tflite

    if file_kind(path) != "tflite":
        raise ValueError("the file is not a TensorFlow Lite flatbuffer")
    interpreter = _interpreter(path)
    produced = {int(i) for op in interpreter._get_ops_details() for i in op["outputs"]}
    inputs_ = {int(d["index"]) for d in interpreter.get_input_details()}
    count = 0
    for detail in interpreter.get_tensor_details():
        shape = detail.get("shape")
        index = int(detail["index"])
        if index in produced or index in inputs_ or shape is None or len(shape) < 2:
            continue
        if detail["dtype"] == np.float32:
            count += int(np.prod(shape))
    return count, run_tflite(path, inputs.reshape(len(inputs), -1))


def _check_converted(model: dict, folder: Path) -> dict[str, dict]:
    kind = model["kind"]
    label = "ONNX" if kind == "structured_onnx" else "TFLite"
    path, source = folder / model["file"], folder / model["source"]
    if not path.is_file() or path.stat().st_size == 0:
        return _all(kind, _outcome(False, f"no {label} file was written", "missing"))
    inputs = _inputs(model)
    try:
        count, seen = (_onnx if kind == "structured_onnx" else _tflite)(path, inputs)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return _all(
            kind,
            _outcome(
                False,
                f"the {label} file could not be loaded and run by the grader "
                f"({type(exc).__name__}: {str(exc)[:300]})",
                "load_failed",
            ),
        )
    out = {"loads": _outcome(True, f"the {label} file loads and runs")}
    want = int(model["pruned_count"])
    ok = abs(count - want) <= 0.01 * want
    out["pruned"] = _outcome(
        ok,
        f"the {label} model holds the pruned model's {want:,} weights"
        if ok
        else f"expected the {want:,} weights of the pruned model in the {label} "
        f"file; it holds {count:,} (the unpruned model has "
        f"{int(model['unpruned_count']):,})",
        "" if ok else "not_pruned",
    )
    try:
        expected = _torch_outputs(source, inputs)
    except Exception as exc:  # noqa: BLE001
        out["outputs"] = _outcome(
            False,
            "the grader could not rebuild the PyTorch model the conversion was "
            f"called on ({type(exc).__name__}: {str(exc)[:200]})",
            "no_source",
        )
        return out
    tolerance = float(model.get("tolerance", 1e-4))
    if seen.shape != expected.shape:
        message = (
            f"expected outputs of shape {list(expected.shape)}; seen {list(seen.shape)}"
        )
        out["outputs"] = _outcome(False, message, "wrong_outputs")
        return out
    diff = float(np.max(np.abs(seen - expected)))
    ok = diff <= tolerance
    out["outputs"] = _outcome(
        ok,
        f"the {label} model gives the PyTorch model's outputs (largest "
        f"difference {diff:.2g}, tolerance {tolerance})"
        if ok
        else f"expected the outputs of the PyTorch model the method was called "
        f"on within {tolerance}; the largest difference is {diff:.3g}",
        "" if ok else "wrong_outputs",
        ""
        if ok
        else f"first expected {np.round(expected[0], 4).tolist()}\n"
        f"first seen {np.round(seen[0], 4).tolist()}",
    )
    return out


def check(model: dict, spec: dict, folder: Path, manifest: dict) -> dict[str, dict]:
    """Verify one ``[[model]]`` entry of a structured kind.

    Returns
    -------
    dict
        ``{check name: {"passed", "message", "code", "evidence"}}``; empty
        when the hidden run of this part did not take place.
    """
    folder = Path(folder)
    kind = model["kind"]
    run = _manifest(folder)
    if run is None:
        return {}
    if run["missing"]:
        return _all(
            kind,
            _outcome(
                False,
                "the grading environment cannot run this part (missing "
                + "; ".join(run["missing"])
                + "); a person grades it from the committed files",
                "not_runnable",
            ),
        )
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001
        return _all(
            kind,
            _outcome(
                False,
                "the grader's inspection needs torch and onnx, which are not "
                "installed here; a person grades this item",
                "not_runnable",
            ),
        )
    if kind in ("structured_shapes", "structured_final_layer"):
        return _check_state(model, folder)
    if kind == "structured_pruned":
        return _check_pruned(model, folder)
    if kind == "structured_tuned":
        return _check_tuned(model, folder)
    return _check_converted(model, folder)
