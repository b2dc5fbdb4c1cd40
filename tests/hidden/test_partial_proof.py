"""Fast tests of the partial proof: what a model off target still proves.

No TensorFlow and no sandbox: plain findings, and the artifact facts on
stand-in kernels and outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.hidden import artifacts, proof
from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric
from grading.pipeline.scoring import score

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
SPEC = artifacts.load_spec(
    ROOT / "grading/hidden/suites/l03_pruning_clustering/artifacts.toml"
)
PRUNED = ["pruned-0.5"]
FP32 = ["fp32"]


def _artifact(item: str, name: str, failed: list[str], variants: list[str]):
    return Finding(
        check=f"artifact.{item}.{name}",
        item=item,
        passed=not failed,
        message=f"{name} checked",
        score=(len(variants) - len(failed)) / len(variants),
        audience="instructor" if name in artifacts.INSTRUCTOR_ONLY else "student",
        data={"variants": variants, "failed": failed},
    )


def _spy(item: str, name: str, passed: bool = True) -> Finding:
    return Finding(
        check=f"hidden.{item}.{name}",
        item=item,
        passed=passed,
        message=f"{name} seen",
        score=None if passed else 0.0,
    )


def _pruned(applied: bool, prune_call: bool, changed: bool = True) -> list[Finding]:
    item = "pruned_model"
    return [
        _spy(item, "prune_call", prune_call),
        _spy(item, "callbacks"),
        _spy(item, "fine_tuned"),
        _artifact(item, "loads", [], PRUNED),
        _artifact(item, "sparsity", PRUNED, PRUNED),
        _artifact(item, "derived", [], PRUNED),
        _artifact(item, "pruning_applied", [] if applied else PRUNED, PRUNED),
        _artifact(item, "changed", [] if changed else PRUNED, PRUNED),
    ]


def _points(findings: list[Finding], item: str) -> float:
    items = score(load_rubric(LAB), findings)["items"]
    return {i["id"]: i for i in items}[item]["points"]


def test_a_pruned_model_off_target_earns_what_it_proves():
    """Zeros though off target prove fine-tuning with the callback, not the call."""
    findings = proof.apply_proof(_pruned(applied=True, prune_call=True), SPEC)
    by = {f.check.rsplit(".", 1)[-1]: f for f in findings}
    assert by["callbacks"].passed and by["fine_tuned"].passed and by["loads"].passed
    # The spy says the schedule was right, the model says otherwise.
    assert by["prune_call"].passed is False and by["prune_call"].code == "unproven"
    # Callbacks, fit and loads of the 6.5 weights (no version: all count).
    assert _points(findings, "pruned_model") == pytest.approx(3 / 6.5 * 4, abs=0.01)


def test_a_wrapped_model_never_trained_earns_loading_only():
    findings = proof.apply_proof(_pruned(True, True, changed=False), SPEC)
    by = {f.check.rsplit(".", 1)[-1]: f for f in findings}
    assert by["loads"].passed and not by["callbacks"].passed
    assert _points(findings, "pruned_model") == pytest.approx(1 / 6.5 * 4, abs=0.01)


def test_an_untouched_model_with_every_spy_earns_nothing():
    # A copy differs in nothing; even a retrained one shows no pruning.
    findings = proof.apply_proof(_pruned(False, True, changed=True), SPEC)
    assert _points(findings, "pruned_model") == 0
    assert all(f.passed is False for f in findings if f.audience == "student"), [
        (f.check, f.passed) for f in findings
    ]


def test_class_ids_of_the_graders_run_prove_the_runner_not_the_outputs():
    item = "tfmot_optimized_model"
    findings = [
        _spy(item, "prepare"),
        _spy(item, "outputs"),
        _spy(item, "test_inference"),
        _artifact(item, "outputs", FP32, FP32),
        _artifact(item, "ran", [], FP32),
    ]
    proof.apply_proof(findings, SPEC)
    by = {f.check: f for f in findings}
    assert by[f"hidden.{item}.prepare"].passed
    assert by[f"hidden.{item}.test_inference"].passed
    assert by[f"hidden.{item}.outputs"].passed is False
    assert _points(findings, item) == pytest.approx(1 / 3 * 2, abs=0.01)
    # Without the fact, nothing of the runner counts.
    findings[-1] = _artifact(item, "ran", FP32, FP32)
    for f in findings[:3]:
        f.passed, f.score, f.code = True, None, ""
    proof.apply_proof(findings, SPEC)
    assert _points(findings, item) == 0


def _kernels(zeros: float, unique: int) -> list[dict]:
    return [{"zeros": zeros, "unique": unique, "shape": [3, 3, 3, 8]}]


def test_the_applied_facts_tell_an_untouched_model_from_an_off_target_one():
    pruned = {"kind": "pruned", "target_sparsity": 0.5}
    applied = artifacts._applied
    pruned = {"kind": "pruned", "target_sparsity": 0.5}
    assert applied(pruned, SPEC, _kernels(0.3, 150), False)["passed"]
    assert applied(pruned, SPEC, _kernels(0.0, 216), True)["passed"]  # wrapper ops
    assert not applied(pruned, SPEC, _kernels(0.0, 216), False)["passed"]
    assert not applied(pruned, SPEC, [], False)["passed"]
    clustered = {"kind": "clustered", "num_clusters": 4}
    assert applied(clustered, SPEC, _kernels(0.0, 9), False)["passed"]
    assert not applied(clustered, SPEC, _kernels(0.0, 216), False)["passed"]


@pytest.mark.parametrize(
    ("saved", "ran"),
    [
        (np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]), True),  # the scores
        (np.array([1, 0]), True),  # their class ids
        (np.array([0, 0]), False),  # wrong ids
        (np.zeros((2, 3)), False),  # a runner that outputs zeros
    ],
)
def test_ran_reads_the_saved_outputs_against_the_graders_run(
    tmp_path, monkeypatch, saved, ran
):
    grader = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    monkeypatch.setattr(artifacts, "file_kind", lambda p: "tflite")
    monkeypatch.setattr(artifacts, "run_tflite", lambda p, x: grader)
    np.save(tmp_path / "out.npy", saved)
    model = {"outputs": "out.npy"}
    assert artifacts._check_ran(model, SPEC, tmp_path, tmp_path)["passed"] is ran


def test_ids_that_are_all_one_class_prove_nothing(tmp_path, monkeypatch):
    grader = np.array([[0.1, 0.9], [0.2, 0.8]])
    monkeypatch.setattr(artifacts, "file_kind", lambda p: "tflite")
    monkeypatch.setattr(artifacts, "run_tflite", lambda p, x: grader)
    np.save(tmp_path / "out.npy", np.array([1, 1]))
    model = {"outputs": "out.npy"}
    assert not artifacts._check_ran(model, SPEC, tmp_path, tmp_path)["passed"]
