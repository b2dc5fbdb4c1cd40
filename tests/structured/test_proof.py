"""Part 2's in-process evidence counts only with out-of-process proof."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from grading.hidden import artifacts, proof, structured_artifacts
from grading.pipeline.findings import Finding

SPEC = artifacts.load_spec(
    Path(__file__).resolve().parents[2]
    / "grading/hidden/suites/l03_pruning_clustering/artifacts.toml"
)
SPIES = (
    "hidden.structured_traced_optimizer.traced",
    "hidden.structured_config_list.types_and_sparsity",
    "hidden.structured_pruner.pruner",
    "hidden.structured_compress_logs.logs",
    "hidden.structured_fine_tune.optimizer",
)


def _findings(pruned: bool, changed: bool) -> list[Finding]:
    out = [
        Finding(check=c, item=c.split(".")[1], passed=True, message="") for c in SPIES
    ]
    out.append(
        Finding("hidden.structured_fine_tune.trained", "structured_fine_tune", True, "")
    )
    out.append(
        Finding("artifact.structured_pruner.pruned", "structured_pruner", pruned, "")
    )
    out.append(
        Finding(
            "artifact.structured_fine_tune.changed", "structured_fine_tune", changed, ""
        )
    )
    return out


def test_every_spy_check_names_a_proof_the_spec_makes():
    checks = {
        f"artifact.{m['item']}.{name}"
        for m in SPEC["model"]
        if m["kind"] in structured_artifacts.KINDS
        for name in structured_artifacts.NAMES[m["kind"]]
    }
    needs = SPEC["proof_checks"]
    assert set(SPIES) <= set(needs)
    assert all(n in checks for names in needs.values() for n in names)


def test_spy_credit_needs_proof_of_pruning():
    found = {f.check: f for f in proof.apply_proof(_findings(False, True), SPEC)}
    for check in SPIES:
        assert found[check].earned == 0.0 and found[check].code == "unproven", check
        assert "pruned" in found[check].message
    assert found["hidden.structured_fine_tune.trained"].earned == 1.0


def test_trained_needs_the_changed_final_model():
    found = {f.check: f for f in proof.apply_proof(_findings(True, False), SPEC)}
    assert found["hidden.structured_fine_tune.trained"].earned == 0.0
    assert all(found[c].earned == 1.0 for c in SPIES)


def test_proven_run_keeps_every_credit_and_failures_stay_failures():
    findings = _findings(True, True)
    findings[0].passed = False
    found = {f.check: f for f in proof.apply_proof(findings, SPEC)}
    assert found[SPIES[0]].earned == 0.0 and found[SPIES[0]].code != "unproven"
    assert all(found[c].earned == 1.0 for c in SPIES[1:])


needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="needs torch"
)


def _model():
    return next(m for m in SPEC["model"] if m["kind"] == "structured_pruned")


@needs_torch
def test_masks_at_the_sparsity_prove_pruning(tmp_path):
    import torch

    half = torch.ones(8, 1, 3, 3)
    half[::2] = 0
    masks = {"conv1": {"weight": half}, "fc2": {"weight": torch.zeros(10, 4)}}
    torch.save(masks, tmp_path / "structured-masks.pth")
    ok = structured_artifacts._check_pruned(_model(), tmp_path)["pruned"]
    assert ok["passed"] and "conv1 50%" in ok["message"]
    masks["conv1"]["weight"] = torch.ones(8, 1, 3, 3)
    torch.save(masks, tmp_path / "structured-masks.pth")
    bad = structured_artifacts._check_pruned(_model(), tmp_path)["pruned"]
    assert not bad["passed"] and bad["code"] == "not_pruned"
    assert "conv1 0%" in bad["message"]


@needs_torch
def test_fine_tuned_final_model_must_differ_from_its_start(tmp_path):
    import torch

    model = next(m for m in SPEC["model"] if m["kind"] == "structured_tuned")
    start = {"fc1.weight": torch.ones(512, 7744), "fc2.weight": torch.ones(10, 512)}
    torch.save(start, tmp_path / model["start"])
    torch.save(start, tmp_path / model["file"])
    same = structured_artifacts._check_tuned(model, tmp_path)["changed"]
    assert not same["passed"] and "did not change" in same["message"]
    torch.save({k: v * 0.9 for k, v in start.items()}, tmp_path / model["file"])
    assert structured_artifacts._check_tuned(model, tmp_path)["changed"]["passed"]
    (tmp_path / model["file"]).unlink()
    gone = structured_artifacts._check_tuned(model, tmp_path)["changed"]
    assert not gone["passed"] and gone["code"] == "missing"
