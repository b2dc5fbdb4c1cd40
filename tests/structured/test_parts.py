"""A course turns a part of a lab off in data; scores and reports follow."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import RubricError, load_rubric, parse_rubric
from grading.pipeline.scoring import score
from grading.util.paths import LABS_DIR
from grading.versions import version

L03 = LABS_DIR / "l03_pruning_clustering.toml"


def _data() -> dict:
    return tomllib.loads(L03.read_text(encoding="utf-8"))


def test_structured_part_is_on_by_default_with_its_points():
    rubric = load_rubric("l03_pruning_clustering")
    structured = [i for i in rubric.items if i.part == "structured"]
    assert sum(i.points for i in structured) == 23
    assert "structured_summary" in rubric.checks
    assert "structured_fixtures" in rubric.section("hidden_tests")["plugins"]
    assert rubric.part_title("structured").startswith("Part 2")
    assert rubric.part_title("").startswith("Part 1")


def test_turning_the_part_off_drops_items_plugins_and_checks():
    data = _data()
    data["parts"]["structured"]["enabled"] = False
    rubric = parse_rubric(data, L03)
    assert not [i for i in rubric.items if i.part == "structured"]
    assert rubric.max_score == 18.0
    assert "structured_summary" not in rubric.checks
    assert rubric.section("hidden_tests")["plugins"] == ["l03_fixtures"]
    assert not rubric.checks_with_prefix(("hidden.structured",))


def test_bad_part_tables_are_rubric_errors():
    data = _data()
    data["parts"]["structured"]["enabled"] = "no"
    with pytest.raises(RubricError, match="enabled"):
        parse_rubric(data, Path("x.toml"))
    data = _data()
    data["parts"] = {"main": {"enabled": False}, "structured": {"enabled": False}}
    with pytest.raises(RubricError, match="disabled part"):
        parse_rubric(data, Path("x.toml"))


def test_not_runnable_holds_an_item_for_a_person_and_parts_are_totalled():
    rubric = load_rubric("l03_pruning_clustering")
    findings = [
        Finding(
            check="hidden.structured_onnx.written",
            item="structured_onnx",
            passed=False,
            code="not_runnable",
            message="torch is missing",
        ),
        Finding(
            check="hidden.structured_traced_optimizer.traced",
            item="structured_traced_optimizer",
            passed=True,
            message="ok",
        ),
    ]
    # Our own template asks for part 2 (and not for the 2021 theory task).
    ours = version("ours").lab("l03_pruning_clustering")
    findings.append(
        Finding(
            check="engine.template_version",
            item="",
            passed=None,
            code="template_version",
            message="ours",
            data={"version": "ours", "asks": list(ours["asks"])},
        )
    )
    results = score(rubric, findings)
    items = {i["id"]: i for i in results["items"]}
    assert items["structured_onnx"]["status"] == "manual"
    assert items["structured_traced_optimizer"]["points"] == 1.0
    parts = {p["id"]: p for p in results["parts"]}
    assert parts["structured"]["max_points"] == 23.0
    assert parts["structured"]["points"] == 1.0
    assert parts[""]["max_points"] == 18.0
