"""Fast tests of what the grader trusts: proof, the student view, child files.

No TensorFlow and no sandbox here: plain findings and files.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

from grading.hidden import outcomes, proof, secrecy
from grading.hidden.suites.grader_contract import ENV, Contract
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import score
from grading.sandbox import copy_out

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
SPEC = {
    "proof": {"clustered": ["unique_values", "derived"], "outputs": ["outputs"]},
    "model": [
        {"item": "clustered_model", "variant": v, "kind": "clustered"}
        for v in ("clustered-2", "clustered-4", "clustered-8")
    ]
    + [{"item": "tfmot_optimized_model", "variant": "fp32", "kind": "outputs"}],
}
VARIANTS = ["clustered-2", "clustered-4", "clustered-8"]


def _artifact(name: str, failed: list[str], item="clustered_model", variants=None):
    variants = VARIANTS if variants is None else variants
    return Finding(
        check=f"artifact.{item}.{name}",
        item=item,
        passed=not failed,
        message=f"{name} checked",
        score=(len(variants) - len(failed)) / len(variants),
        audience="instructor" if name == "derived" else "student",
        data={"variants": variants, "failed": failed},
    )


def _spy(name: str, failed=()) -> Finding:
    return Finding(
        check=f"hidden.clustered_model.{name}",
        item="clustered_model",
        passed=not failed,
        message=f"Passed: {name}.",
        score=None if not failed else (3 - len(failed)) / 3,
        data={"variants": VARIANTS, "failed": list(failed)},
    )


# ------------------------------------------------------------------ proof


def test_spies_on_an_untouched_model_earn_nothing():
    """Every watched call was right, but no kernel holds k values."""
    findings = [_spy(n) for n in ("cluster_call", "trainable", "fine_tuned")]
    findings += [
        _artifact("loads", []),
        _artifact("stripped", []),
        _artifact("unique_values", VARIANTS),
        _artifact("derived", []),
    ]
    proof.apply_proof(findings, SPEC)
    rubric = load_rubric(LAB)
    item = {i["id"]: i for i in score(rubric, findings)["items"]}["clustered_model"]
    assert item["points"] == 0, [(f["check"], f["score"]) for f in item["findings"]]
    spy = findings[0]
    assert spy.passed is False and spy.code == "unproven" and spy.score == 0
    assert "Not counted for clustered-2, clustered-4, clustered-8" in spy.message
    assert "unique values" in spy.message


def test_only_the_proven_variants_count():
    findings = [
        _spy("cluster_call"),
        _artifact("unique_values", ["clustered-2"]),
        _artifact("derived", []),
    ]
    proof.apply_proof(findings, SPEC)
    assert abs(findings[0].score - 2 / 3) < 1e-9
    assert findings[0].data["unproven"] == ["clustered-2"]
    # The proof check keeps its own verdict.
    assert abs(findings[1].score - 2 / 3) < 1e-9


def test_a_foreign_model_gives_no_reason_by_name():
    findings = [
        _spy("fine_tuned"),
        _artifact("unique_values", []),
        _artifact("derived", ["clustered-4"]),
    ]
    proof.apply_proof(findings, SPEC)
    assert "derived" not in findings[0].message
    assert "could not be traced back" in findings[0].message


def test_outputs_prove_the_runner_item():
    prepare = Finding(
        check="hidden.tfmot_optimized_model.prepare",
        item="tfmot_optimized_model",
        passed=True,
        message="Passed: prepare.",
    )
    wrong = _artifact("outputs", ["fp32"], "tfmot_optimized_model", ["fp32"])
    proof.apply_proof([prepare, wrong], SPEC)
    assert prepare.passed is False and prepare.score == 0


def test_timeouts_and_failures_are_left_as_they_are():
    timed = Finding(
        check="hidden.clustered_model.fine_tuned",
        item="clustered_model",
        passed=None,
        code="timeout",
        message="Could not check",
    )
    failed = _spy("cluster_call", failed=VARIANTS)
    proof.apply_proof([timed, failed, _artifact("unique_values", VARIANTS)], SPEC)
    assert timed.passed is None and timed.code == "timeout"
    assert failed.code == "" and failed.score == 0


# ------------------------------------------------------------ student view


def test_opaque_runs_are_elided():
    secret = (ROOT / "grading/hidden/suites" / LAB / "l03_helpers.py").read_bytes()
    packed = zlib.compress(secret)
    texts = [
        base64.b64encode(packed).decode()[:400],
        base64.b32encode(secret[:200]).decode(),
        packed.hex()[:300],
        " ".join(f"{b:02x}" for b in secret[:80]),
        str(list(secret[:60])),
        packed.decode("utf-8", "replace")[:300],
    ]
    for text in texts:
        cleaned, changed = secrecy.elide_opaque(f"RuntimeError: {text}")
        assert changed, text[:40]
        assert len(cleaned) < 80, cleaned


def test_ordinary_messages_are_kept():
    for text in (
        "FileNotFoundError: [Errno 2] No such file or directory: "
        "'dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py'",
        "tensorflow_model_optimization.python.core.clustering.keras.cluster_weights",
        "expected outputs of shape [3, 4]; seen [3, 224, 224, 3]",
        "Cannot set tensor: Tensor is unallocated. Try calling allocate_tensors()",
    ):
        assert secrecy.elide_opaque(text) == (text, False)


def test_evidence_keeps_only_the_students_frames():
    evidence = "\n".join(
        [
            '  File "dl_in_iot_course/l03/x.py", line 3, in compress',
            "    raise RuntimeError(blob)",
            "SOMETHING PRINTED BY THE STUDENT",
            '  File "/tmp/grading-work-1/tests/test_hidden.py", line 9, in test_x',
            "    assert hidden_check()",
        ]
    )
    kept = secrecy.student_frames(evidence)
    assert kept.splitlines() == [
        '  File "dl_in_iot_course/l03/x.py", line 3, in compress',
        "    raise RuntimeError(blob)",
    ]


def test_hidden_test_lines_are_redacted_from_the_student_view(tmp_path):
    tests = tmp_path / "tests"
    tests.mkdir()
    line = "assert model.secret_hidden_property == 1234567"
    (tests / "test_hidden.py").write_text(f"def test_hush():\n    {line}\n")
    (tmp_path / "course").mkdir()
    (tmp_path / "reference").mkdir()
    finding = Finding(
        check="hidden.clustered_model.fine_tuned",
        item="clustered_model",
        passed=False,
        message=f"RuntimeError: {line} in test_hush",
    )
    out = secrecy.student_view(
        [finding], tests, tmp_path / "course", tmp_path / "reference"
    )
    assert line not in finding.message and "test_hush" not in finding.message
    assert out[-1].check == "integrity.leak" and out[-1].audience == "instructor"


# --------------------------------------------------------- files of the child


def test_results_file_is_never_followed_or_trusted(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"finished": True, "results": {}}))
    link = tmp_path / "results.json"
    link.symlink_to(target)
    assert outcomes.load_results(link)["finished"] is False
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert outcomes.load_results(deep)["results"] == {}
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {
                "finished": "yes",
                "collected": [{"nodeid": "t::a", "item": "x" * 5000, "check": 3}],
                "results": {"t::a": {"outcome": "passed", "message": "m" * 10**6}},
            }
        )
    )
    data = outcomes.load_results(odd)
    assert data["finished"] is False
    assert len(data["collected"][0]["item"]) <= 80
    assert len(data["results"]["t::a"]["message"]) <= outcomes.MAX_MESSAGE


def test_copy_out_leaves_links_and_special_files_behind(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "sub").mkdir(parents=True)
    (src / "model.tflite").write_bytes(b"TFL3" * 10)
    (src / "sub" / "out.npy").write_bytes(b"x")
    (src / "big.bin").write_bytes(b"0" * 5000)
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (src / "link.tflite").symlink_to(secret)
    (src / "dirlink").symlink_to(tmp_path)
    os.mkfifo(src / "fifo")
    skipped = copy_out(src, dest, max_file_bytes=1000, max_total_bytes=10_000)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == [
        "model.tflite",
        "sub",
        "sub/out.npy",
    ]
    assert len(skipped) == 4 and all(":" in line for line in skipped)


def test_the_contract_travels_as_one_variable():
    contract = Contract("r.json", "art", "work", "tests", "masters", True, 30.0)
    env = contract.to_env()
    assert list(env) == [ENV]
    assert Contract.from_env(env) == contract
    assert Contract.from_env({}) is None
