"""Grading what each template version asked: checks and items with
``requires`` count only where the version asks them (the finding of
:mod:`grading.versions.identify` says so)."""

from __future__ import annotations

from pathlib import Path

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import load_rubric, parse_rubric
from grading.pipeline.scoring import score

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"

RUBRIC = {
    "lab": "fake",
    "items": [
        {
            "id": "code",
            "title": "Code",
            "points": 4,
            "checks": [
                {"check": "hidden.code.call", "weight": 1},
                {"check": "hidden.code.strip", "weight": 1, "requires": "strip"},
            ],
        },
        {"id": "theory", "title": "Theory", "points": 2, "kind": "manual"}
        | {"requires": "theory"},
        {"id": "history", "title": "History", "points": 2, "checks": []},
    ],
}


def template(asks: list[str] | None, version: str = "v1") -> Finding:
    return Finding(
        check="template.version",
        item="",
        passed=None,
        message="Graded against v1.",
        code="template_version",
        data={"version": version, "asks": asks},
    )


def code_findings() -> list[Finding]:
    return [
        Finding("hidden.code.call", "code", True, "Passed."),
        Finding("hidden.code.strip", "code", False, "Expected a stripped model."),
    ]


def by_id(scored: dict) -> dict:
    return {item["id"]: item for item in scored["items"]}


def test_without_a_version_every_requirement_counts():
    rubric = parse_rubric(RUBRIC, Path("fake.toml"))
    scored = score(rubric, code_findings())
    assert by_id(scored)["code"]["points"] == 2.0
    assert "theory" in by_id(scored) and scored["max_score"] == 8.0
    assert rubric.max_score == 6.0 and rubric.requirements == ("strip", "theory")


def test_a_requirement_the_version_does_not_ask_costs_nothing():
    rubric = parse_rubric(RUBRIC, Path("fake.toml"))
    scored = score(rubric, [template([]), *code_findings()])
    code = by_id(scored)["code"]
    assert code["points"] == 4.0 and code["status"] == "pass"
    strip = next(f for f in code["findings"] if f["check"] == "hidden.code.strip")
    assert strip["message"].startswith("[not counted: the README of your template")
    assert "v1" in strip["message"] and strip["data"]["counted"] is False
    assert "theory" not in by_id(scored) and scored["max_score"] == 6.0


def test_a_requirement_the_version_asks_counts_and_says_so():
    rubric = parse_rubric(RUBRIC, Path("fake.toml"))
    scored = score(rubric, [template(["strip", "theory"]), *code_findings()])
    code = by_id(scored)["code"]
    assert code["points"] == 2.0
    strip = next(f for f in code["findings"] if f["check"] == "hidden.code.strip")
    assert "asks for this" in strip["message"]
    assert by_id(scored)["theory"]["status"] == "manual"
    assert scored["max_score"] == 8.0


def test_the_lab_rubric_conditions_strip_and_trainable_on_the_version():
    rubric = load_rubric(LAB)
    clustered = rubric.item("clustered_model")
    required = {c.check: c.requires for c in clustered.checks if c.requires}
    assert required == {
        "hidden.clustered_model.trainable": "trainable",
        "hidden.clustered_model.strip_call": "strip_clustering",
        "artifact.clustered_model.stripped": "strip_clustering",
    }
    assert rubric.item("theory_quantization").requires == "theory_quantization"
    assert rubric.max_score == 18.0


def test_findings_of_an_item_not_asked_reach_only_the_instructor():
    rubric = parse_rubric(RUBRIC, Path("fake.toml"))
    missing = Finding("summary.theory", "theory", False, "No theory answer found.")
    scored = score(rubric, [template([]), *code_findings(), missing])
    (shown,) = [f for f in scored["unassigned"] if f["check"] == "summary.theory"]
    assert shown["audience"] == "instructor"
    assert shown["message"].startswith("[not counted: the README of your template")
    asked_for = score(rubric, [template(["theory"]), *code_findings(), missing])
    theory = by_id(asked_for)["theory"]["findings"]
    assert [f["audience"] for f in theory] == ["student"]
