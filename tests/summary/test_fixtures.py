"""Each fixture summary against the JSON we expect from it."""

import json
from pathlib import Path

import pytest

from grading.summary import analyze

FIXTURES = Path(__file__).resolve().parent / "fixtures"

CASES = sorted(
    p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json")
)


def _subset(expected, actual, where="$"):
    """Assert that ``expected`` is contained in ``actual`` (floats approx)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(expected) == set(actual), f"{where}: keys differ"
        for key, value in expected.items():
            _subset(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9), where
    else:
        assert expected == actual, f"{where}: expected {expected!r}, got {actual!r}"


def test_there_are_enough_fixtures():
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", CASES)
def test_fixture_matches_expected_json(name, rubric):
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    result = analyze(FIXTURES / expected["path"], rubric).to_dict()
    assert result["file"] == expected["file"]
    assert result["format"] == expected["format"]
    assert bool(result["manual_review"]) == expected["manual_review"]
    assert result["variants_found"] == expected["variants_found"]
    metrics = {
        v: {k: x for k, x in m.items() if k not in ("top5", "samples")}
        for v, m in result["metrics"].items()
    }
    _subset(expected["metrics"], metrics, "metrics")
    _subset(expected["deflation"], result["deflation"], "deflation")
    cms = {
        v: {"exists": c["exists"], "problem": c["problem"]}
        for v, c in result["confusion_matrices"].items()
    }
    assert cms == expected["confusion_matrices"]
    questions = {
        q: {"found": a["found"], "heading": a["heading"]}
        for q, a in result["questions"].items()
    }
    assert questions == expected["questions"]
    if "baseline" in expected:
        _subset(expected["baseline"], result["baseline"], "baseline")
    assert sorted({w["code"] for w in result["warnings"]}) == expected["warning_codes"]
    assert sorted({p["code"] for p in result["problems"]}) == expected["problem_codes"]


@pytest.mark.parametrize("name", CASES)
def test_result_is_json_with_the_contract_keys(name, rubric):
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    result = analyze(FIXTURES / expected["path"], rubric).to_dict()
    again = json.loads(json.dumps(result))
    for key in (
        "file",
        "format",
        "variants_found",
        "metrics",
        "confusion_matrices",
        "deflation",
        "questions",
        "warnings",
    ):
        assert key in again
    for row in again["metrics"].values():
        assert set(row) >= {
            "accuracy",
            "precision",
            "sensitivity",
            "g_mean",
            "inference_ms",
        }
    for entry in again["deflation"].values():
        assert set(entry) == {"percent", "size_bytes"}
        assert entry["size_bytes"] is None or isinstance(entry["size_bytes"], int)
    for answer in again["questions"].values():
        assert {"found", "heading", "excerpt"} <= set(answer)
    for warning in again["warnings"]:
        assert {"code", "message"} <= set(warning)
