"""Verify the models a submission produced, outside the student's process.

The hidden tests save every ``.tflite`` the student's classes write (and the
outputs of the student's inference code) into an artifacts folder. This
module inspects those files with the LiteRT interpreter, never importing
TensorFlow and never running student code, so that an in-process trick (a
patched spy, a faked result file) cannot earn the points that depend on the
model itself:

- ``loads``: the file is a TFLite flatbuffer (a Keras HDF5 or ``.keras`` file
  is recognised and named), the interpreter allocates and invokes it;
- ``unique_values``: every kernel holds at most ``num_clusters`` values;
- ``sparsity``: every kernel is ``target_sparsity`` zeros within a tolerance;
- ``stripped``: none of the training-wrapper ops are left;
- ``outputs``: the student's outputs equal the grader's own run;
- float and int8 TFLite models (kinds of ``grading/hidden/quantized_artifacts.py``).

What to verify is data: ``grading/hidden/suites/<lab>/artifacts.toml``.
Because a crafted file could crash the native interpreter, the check runs
:func:`verify` in a child process (``python -m grading.hidden.artifacts``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from grading.hidden import quantized_artifacts, structured_artifacts

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
WEIGHT_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "CONV_3D": 1}


def file_kind(path: Path) -> str:
    """Return what a model file is by its content, not its name.

    Returns
    -------
    str
        ``"missing"``, ``"directory"`` (e.g. a SavedModel), ``"empty"``,
        ``"tflite"``, ``"hdf5"`` (Keras ``.h5``), ``"keras_zip"`` (Keras v3
        ``.keras``) or ``"unknown"``.
    """
    path = Path(path)
    if path.is_dir():
        return "directory"
    if not path.is_file():
        return "missing"
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        return "empty"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head == HDF5_MAGIC:
        return "hdf5"
    if head[:2] == b"PK":
        return "keras_zip"
    return "unknown"


def _interpreter(path: Path):
    """Build a LiteRT interpreter that shows the model's own ops."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    return Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )


def inspect_tflite(path: Path) -> dict[str, Any]:
    """Read the op list and the kernels of a ``.tflite`` file.

    A kernel is the weight operand of a convolution or fully connected op.
    When that operand is computed at run time (an unstripped model), the
    constant inputs of ``MUL`` ops (pruning masks) are measured instead and
    marked ``traced``.

    Returns
    -------
    dict
        ``{"ops": [str], "kernels": [{"name", "shape", "unique", "zeros",
        "traced"}], "input_shape": [int], "output_shape": [int]}``.
    """
    interpreter = _interpreter(path)
    ops = interpreter._get_ops_details()
    producers: dict[int, dict] = {}
    for op in ops:
        for index in op["outputs"]:
            producers[int(index)] = op
    inputs = {d["index"] for d in interpreter.get_input_details()}
    interpreter.allocate_tensors()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}

    def constant(index: int) -> bool:
        return index >= 0 and index not in producers and index not in inputs

    kernels = []
    seen: set[int] = set()
    computed = False

    def measure(index: int, traced: bool) -> None:
        if index in seen:
            return
        seen.add(index)
        detail = details.get(index)
        if detail is None or detail["dtype"] not in (np.float32, np.float16):
            return
        value = interpreter.get_tensor(index)
        if value.ndim < 2:
            return
        kernels.append(
            {
                "name": detail["name"],
                "shape": [int(s) for s in value.shape],
                "unique": int(np.unique(value).size),
                "zeros": float(np.mean(value == 0)),
                "traced": traced,
            }
        )

    for op in ops:
        position = WEIGHT_OPS.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        index = int(op["inputs"][position])
        if constant(index):
            measure(index, False)
        else:
            computed = True
    if computed:
        # Unstripped pruning: the weights live in variables multiplied by
        # constant masks; the masks carry the sparsity.
        for op in ops:
            if op["op_name"] == "MUL":
                for index in op["inputs"]:
                    if constant(int(index)):
                        measure(int(index), True)
    return {
        "ops": sorted({op["op_name"] for op in ops}),
        "kernels": kernels,
        "input_shape": [int(s) for s in interpreter.get_input_details()[0]["shape"]],
        "output_shape": [int(s) for s in interpreter.get_output_details()[0]["shape"]],
    }


def kernel_values(path: Path) -> list[np.ndarray]:
    """Return the constant kernels of a ``.tflite`` file, in op order.

    Only kernels stored as constants are returned (those of a stripped
    model); a kernel computed at run time is skipped.
    """
    interpreter = _interpreter(path)
    ops = interpreter._get_ops_details()
    produced = {int(i) for op in ops for i in op["outputs"]}
    inputs = {d["index"] for d in interpreter.get_input_details()}
    interpreter.allocate_tensors()
    values = []
    for op in ops:
        position = WEIGHT_OPS.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        index = int(op["inputs"][position])
        if index < 0 or index in produced or index in inputs:
            continue
        value = np.array(interpreter.get_tensor(index))
        if value.ndim >= 2 and value.dtype.kind == "f":
            values.append(value)
    return values


def kinship(model: Path, original: Path) -> float | None:
    """How closely the kernels of ``model`` follow those of ``original``.

    Clustering moves each weight to a nearby centroid and pruning zeroes the
    smallest ones; a short fine-tuning barely moves the rest. The kernels of
    a model made from the original therefore correlate strongly with the
    original's (about 0.85 for two clusters, more for more clusters or for
    pruning), while those of another model of the same architecture (a
    classmate's, or one trained elsewhere) do not (about 0).

    Returns
    -------
    float or None
        The lowest Pearson correlation over kernels matched by position and
        shape, or ``None`` when the two models have no kernels to compare.
    """
    ours = kernel_values(original)
    theirs = kernel_values(model)
    if not ours or len(ours) != len(theirs):
        return None
    lowest = None
    for a, b in zip(ours, theirs, strict=True):
        if a.shape != b.shape:
            return None
        a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
        if a.std() == 0 or b.std() == 0:
            value = 1.0 if np.allclose(a, b) else 0.0
        else:
            value = float(np.corrcoef(a, b)[0, 1])
        lowest = value if lowest is None else min(lowest, value)
    return lowest


#: Below this kernel correlation a model is not made from the original.
MIN_KINSHIP = 0.5


def run_tflite(path: Path, inputs: np.ndarray) -> np.ndarray:
    """Run a ``.tflite`` model on each row of ``inputs``; return the outputs.

    Parameters
    ----------
    path : Path
        Model file.
    inputs : numpy.ndarray
        Shape ``(n, *input_shape)`` float32; each row runs as a batch of one.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, output_size)``.
    """
    interpreter = _interpreter(path)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    rows = []
    for row in inputs:
        value = row.reshape(inp["shape"]).astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], value)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(out["index"])).reshape(-1))
    return np.stack(rows)


def make_inputs(spec: dict[str, Any]) -> np.ndarray:
    """Return the deterministic inputs of the ``outputs`` check (see the spec)."""
    rng = np.random.default_rng(int(spec["inputs_seed"]))
    shape = [int(spec["inputs_count"]), *[int(s) for s in spec["input_shape"]]]
    return rng.standard_normal(shape).astype(np.float32)


def load_spec(path: Path) -> dict[str, Any]:
    """Load ``artifacts.toml`` of a lab's hidden tests."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------
# verification: spec + artifacts folder -> finding dicts


#: Checks whose findings only the instructor sees (suspicion, not feedback).
INSTRUCTOR_ONLY = {"derived"}


def _finding(
    item: str,
    name: str,
    passed: bool,
    message: str,
    *,
    code: str = "",
    evidence: str = "",
    score: float | None = None,
    data: dict | None = None,
) -> dict[str, Any]:
    return {
        "check": f"artifact.{item}.{name}",
        "item": item,
        "passed": passed,
        "message": message,
        "code": code,
        "evidence": evidence,
        "score": score,
        "data": data or {},
        "audience": "instructor" if name in INSTRUCTOR_ONLY else "student",
    }


KIND_MESSAGES = {
    "missing": "no file was written at the model path",
    "directory": "a folder (a SavedModel?) was written at the model path",
    "empty": "an empty file was written at the model path",
    "hdf5": "a Keras HDF5 (.h5) model file was written where a .tflite was expected",
    "keras_zip": "a Keras .keras archive was written where a .tflite was expected",
    "unknown": "the file at the model path is not a TensorFlow Lite flatbuffer",
}


def _check_model(
    model: dict, spec: dict, folder: Path, manifest: dict
) -> dict[str, dict]:
    """Verify one model variant; return ``{check name: outcome}``."""
    variant = model["variant"]
    path = folder / model["file"]
    produced = manifest.get("variants", {}).get(variant, {})
    error = produced.get("error") or manifest.get("import_error")
    kind = model["kind"]
    names = {
        "clustered": ["loads", "unique_values", "stripped"],
        "pruned": ["loads", "sparsity", "stripped"],
    }[kind]
    outcome: dict[str, dict] = {}

    def all_fail(message: str, code: str, evidence: str = "") -> dict[str, dict]:
        return {
            n: {"passed": False, "message": message, "code": code, "evidence": evidence}
            for n in names
        }

    found = file_kind(path)
    if found != "tflite":
        if error and found == "missing":
            reason = f"no model was written ({error.get('message') or 'an error'})"
            return all_fail(
                reason, error.get("code") or "not_run", error.get("evidence", "")
            )
        if not produced and found == "missing":
            return all_fail(
                "the hidden tests did not reach this model "
                "(see the other findings of this item)",
                "not_run",
            )
        code = "keras_file" if found in ("hdf5", "keras_zip") else "not_tflite"
        if found == "missing":
            code = "missing"
        message = f"expected a TFLite model at self.modelpath; {KIND_MESSAGES[found]}"
        return all_fail(message, code)
    try:
        info = inspect_tflite(path)
        zeros = np.zeros([1, *info["input_shape"][1:]], dtype=np.float32)
        run_tflite(path, zeros)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return all_fail(
            f"expected a .tflite that LiteRT can load and run; loading "
            f"it failed with {type(exc).__name__}: {exc}",
            "load_failed",
        )
    outcome["loads"] = {
        "passed": True,
        "message": "the .tflite loads and runs",
        "code": "",
        "evidence": "",
    }
    forbidden = sorted(set(info["ops"]) & set(spec["forbidden_ops"][kind]))
    wrapper = "clustering" if kind == "clustered" else "pruning"
    if forbidden:
        outcome["stripped"] = {
            "passed": False,
            "code": "unstripped",
            "message": f"expected a model with the {wrapper} wrappers stripped; "
            f"its ops include {', '.join(forbidden)}, which only an "
            f"unstripped {wrapper} model has",
            "evidence": "ops: " + ", ".join(info["ops"]),
        }
    else:
        outcome["stripped"] = {
            "passed": True,
            "code": "",
            "evidence": "",
            "message": f"no {wrapper} training ops left",
        }
    derived = _check_derived(path, spec, folder)
    if derived is not None:
        outcome["derived"] = derived
    kernels = info["kernels"]
    listing = "\n".join(
        f"{k['name']} {k['shape']}: {k['unique']} unique, {k['zeros']:.3f} zeros"
        + (" (behind a wrapper op)" if k["traced"] else "")
        for k in kernels
    )
    if kind == "clustered":
        k = int(model["num_clusters"])
        direct = [x for x in kernels if not x["traced"]]
        worst = max((x["unique"] for x in direct), default=None)
        if worst is None:
            outcome["unique_values"] = {
                "passed": False,
                "code": "no_kernels",
                "evidence": listing,
                "message": f"expected kernels with at most {k} unique values; no "
                "kernel of a convolution or dense layer could be read",
            }
        elif worst <= k:
            outcome["unique_values"] = {
                "passed": True,
                "code": "",
                "evidence": "",
                "message": "at most num_clusters unique values in every kernel",
            }
        else:
            outcome["unique_values"] = {
                "passed": False,
                "code": "too_many_values",
                "evidence": listing,
                "message": f"expected at most {k} unique values per kernel "
                f"(num_clusters={k}); the largest count is {worst}",
            }
    else:
        target = float(model["target_sparsity"])
        tolerance = float(spec.get("sparsity_tolerance", 0.02))
        if not kernels:
            outcome["sparsity"] = {
                "passed": False,
                "code": "no_kernels",
                "evidence": listing,
                "message": f"expected kernels with {target:.0%} zeros; no kernel "
                "could be read",
            }
        else:
            values = [x["zeros"] for x in kernels]
            bad = [v for v in values if abs(v - target) > tolerance]
            if not bad:
                outcome["sparsity"] = {
                    "passed": True,
                    "code": "",
                    "evidence": "",
                    "message": f"every kernel at the target sparsity {target:.2f} "
                    f"(within {tolerance})",
                }
                return outcome
            outcome["sparsity"] = {
                "passed": not bad,
                "code": "" if not bad else "sparsity",
                "evidence": listing,
                "message": f"expected every kernel at sparsity {target:.2f} "
                f"(within {tolerance}); seen {min(values):.3f} to "
                f"{max(values):.3f}",
            }
    return outcome


def _check_derived(path: Path, spec: dict, folder: Path) -> dict | None:
    """Outcome ``derived`` when ``path`` is not made from the original model.

    The original is the grader's FP32 model that the hidden tests save for the
    outputs check. Returns ``None`` when the model is made from it (nothing to
    report: this check only ever sends an item to a person).
    """
    originals = [
        folder / m["file"] for m in spec.get("model", []) if m.get("kind") == "outputs"
    ]
    if not originals:
        return None
    original = originals[0]
    if file_kind(original) != "tflite":
        return {
            "passed": False,
            "code": "foreign_model",
            "evidence": "",
            "message": "the grader's own copy of the original model is missing "
            "from the artifacts folder while a compressed model is "
            "there, so the model cannot be traced back to the "
            "original; review the code by hand",
        }
    try:
        value = kinship(path, original)
    except Exception:  # noqa: BLE001 - unreadable kernels: loads says so
        return None
    if value is None or value >= MIN_KINSHIP:
        return None
    return {
        "passed": False,
        "code": "foreign_model",
        "evidence": f"lowest kernel correlation with the original {value:.2f} "
        f"(a model made from it scores above {MIN_KINSHIP})",
        "message": "the kernels of this model do not come from the model the "
        "tests gave (a model trained elsewhere, or a copy); the "
        "item waits for an instructor",
    }


def _check_outputs(model: dict, spec: dict, folder: Path, manifest: dict) -> dict:
    """Compare the student's saved outputs with the grader's own run."""
    produced = manifest.get("variants", {}).get(model["variant"], {})
    error = produced.get("error") or manifest.get("import_error")
    saved = folder / model["outputs"]
    if not saved.is_file():
        if error:
            return {
                "passed": False,
                "code": error.get("code") or "not_run",
                "evidence": error.get("evidence", ""),
                "message": "no outputs were saved "
                f"({error.get('message') or 'an error'})",
            }
        return {
            "passed": False,
            "code": "not_run",
            "evidence": "",
            "message": "the hidden tests did not save the outputs of your "
            "inference code (see the other findings of this item)",
        }
    if file_kind(folder / model["file"]) != "tflite":
        return {
            "passed": False,
            "code": "grader_error",
            "evidence": "",
            "message": "the grader's own FP32 model is missing",
        }
    inputs = make_inputs(spec)
    expected = run_tflite(folder / model["file"], inputs)
    try:
        seen = np.load(saved, allow_pickle=False)
        seen = np.asarray(seen, dtype=np.float64).reshape(len(inputs), -1)
    except Exception as exc:  # noqa: BLE001
        return {
            "passed": False,
            "code": "bad_outputs",
            "evidence": "",
            "message": f"expected {len(inputs)} output vectors of "
            f"{expected.shape[1]} values; they could not be read "
            f"({type(exc).__name__}: {exc})",
        }
    tolerance = float(spec.get("output_tolerance", 1e-4))
    if seen.shape != expected.shape:
        return {
            "passed": False,
            "code": "wrong_outputs",
            "evidence": "",
            "message": f"expected outputs of shape {list(expected.shape)} "
            f"(one vector of class scores per input); seen "
            f"{list(seen.shape)}",
        }
    diff = float(np.max(np.abs(seen - expected)))
    ok = bool(np.allclose(seen, expected, atol=tolerance, rtol=tolerance))
    if ok:
        return {
            "passed": True,
            "code": "",
            "evidence": "",
            "message": f"the same class scores as the grader's own run of the "
            f"model for {len(inputs)} inputs (tolerance {tolerance})",
        }
    return {
        "passed": ok,
        "code": "" if ok else "wrong_outputs",
        "evidence": f"max abs difference {diff:.3g}; first expected "
        f"{np.round(expected[0][:5], 4).tolist()}, first seen "
        f"{np.round(seen[0][:5], 4).tolist()}",
        "message": f"expected the same class scores as the grader's own run "
        f"of the model for {len(inputs)} inputs (tolerance "
        f"{tolerance}); the largest difference is {diff:.3g}",
    }


def _clean_manifest(manifest: Any) -> dict[str, Any]:
    """Keep only well-formed parts of a manifest (the student's process wrote it)."""
    if not isinstance(manifest, dict):
        return {}
    out: dict[str, Any] = {}
    variants = manifest.get("variants")
    if isinstance(variants, dict):
        out["variants"] = {
            str(k): {"error": _clean_error(v.get("error"))}
            for k, v in variants.items()
            if isinstance(v, dict)
        }
    out["import_error"] = _clean_error(manifest.get("import_error"))
    return out


def _clean_error(error: Any) -> dict[str, str] | None:
    if not isinstance(error, dict):
        return None
    return {k: str(error.get(k) or "")[:2000] for k in ("message", "code", "evidence")}


def verify(
    spec: dict[str, Any], folder: Path, manifest: dict | None = None
) -> list[dict]:
    """Verify every model of ``spec`` in ``folder``.

    Parameters
    ----------
    spec : dict
        Parsed ``artifacts.toml``.
    folder : Path
        The artifacts folder the hidden tests wrote.
    manifest : dict, optional
        ``manifest.json`` of the hidden tests (errors per variant).

    Returns
    -------
    list of dict
        One finding dict per ``(item, check)``, variants aggregated: passed
        when every variant passed, ``score`` the fraction that did, the
        message listing each failed variant.
    """
    folder = Path(folder)
    manifest = _clean_manifest(manifest)
    per_check: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for model in spec.get("model", []):
        if model["kind"] == "outputs":
            results = {"outputs": _check_outputs(model, spec, folder, manifest)}
        elif model["kind"] in structured_artifacts.KINDS:
            results = structured_artifacts.check(model, spec, folder, manifest)
        elif model["kind"] in quantized_artifacts.KINDS:
            results = quantized_artifacts.check(model, spec, folder, manifest)
        else:
            results = _check_model(model, spec, folder, manifest)
        for name, result in results.items():
            per_check.setdefault((model["item"], name), []).append(
                (model["variant"], result)
            )
    findings = []
    for (item, name), results in per_check.items():
        failed = [(v, r) for v, r in results if not r["passed"]]
        if not failed:
            messages = {r["message"] for _, r in results}
            if len(messages) == 1:
                variants = ", ".join(v for v, _ in results)
                text = f"{results[0][1]['message']} ({variants})"
            else:
                text = "; ".join(f"{v}: {r['message']}" for v, r in results)
            findings.append(
                _finding(
                    item, name, True, text, data={"variants": [v for v, _ in results]}
                )
            )
            continue
        by_message: dict[str, list[str]] = {}
        for v, r in failed:
            by_message.setdefault(r["message"], []).append(v)
        lines = [f"{', '.join(vs)}: {m}" for m, vs in by_message.items()]
        evidence = "\n".join(
            f"[{v}]\n{r['evidence']}" for v, r in failed if r.get("evidence")
        )
        codes = [r.get("code", "") for _, r in failed if r.get("code")]
        score = (len(results) - len(failed)) / len(results)
        findings.append(
            _finding(
                item,
                name,
                False,
                "; ".join(lines) if len(lines) > 1 else lines[0],
                code=codes[0] if codes else "failed",
                evidence=evidence[:4000],
                score=score,
                data={
                    "failed": [v for v, _ in failed],
                    "variants": [v for v, _ in results],
                },
            )
        )
    return findings


def main(argv: list[str] | None = None) -> int:
    """Entry of ``python -m grading.hidden.artifacts SPEC FOLDER``: print findings."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.hidden.artifacts",
        description="Verify the models the hidden tests saved (op list, unique "
        "values, sparsity, outputs) with LiteRT; prints JSON findings.",
    )
    parser.add_argument("spec", type=Path, help="artifacts.toml of the lab")
    parser.add_argument("folder", type=Path, help="artifacts folder of a run")
    args = parser.parse_args(argv)
    manifest_path = args.folder / "manifest.json"
    manifest = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
    json.dump(verify(load_spec(args.spec), args.folder, manifest), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
