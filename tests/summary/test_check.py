"""The summary check: findings, and how the rubric scores them."""

import dataclasses
import json
from pathlib import Path

import pytest

from grading.checks import CheckContext
from grading.checks import summary as check
from grading.cli import main
from grading.pipeline.scoring import score

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _run(path, rubric, tmp_path):
    ctx = CheckContext(submission=path, workdir=tmp_path, lab=rubric.lab, rubric=rubric)
    return check.run(ctx)


def _items(rubric, findings):
    return {i["id"]: i for i in score(rubric, findings)["items"]}


def test_name_and_details(rubric, tmp_path):
    result = _run(FIXTURES / "en_tables", rubric, tmp_path)
    assert check.NAME == "summary"
    assert result.details["file"].endswith("summary.md")
    json.dumps(result.details)
    assert result.seconds >= 0


def test_deflation_is_auto_and_questions_manual_with_suggestion(rubric, tmp_path):
    findings = _run(FIXTURES / "en_tables", rubric, tmp_path).findings
    items = _items(rubric, findings)
    assert items["deflation"]["status"] == "pass"
    assert items["deflation"]["points"] == 2.0
    # The suggestions come from the answers checked against the fixture's own
    # table. Q4 says "no method dominates", but in this table every pruned
    # model is larger and less accurate than clustered-8: half a point.
    expected = {1: 1.0, 2: 1.0, 3: 1.0, 4: 0.5}
    for n in range(1, 5):
        item = items[f"question_{n}"]
        assert item["status"] == "manual" and item["points"] == 0.0
        assert item["suggested_points"] == expected[n], n
    q4 = [
        f
        for f in findings
        if f.check == "summary.question_4" and f.code == "assessment"
    ]
    assert "contradicts your table" in q4[0].evidence
    evidence = [
        f.evidence
        for f in findings
        if f.check == "summary.question_3" and f.code == "answer_found"
    ]
    assert evidence and "DEFLATE" in evidence[0]


def test_partial_deflation_score(rubric, tmp_path):
    items = _items(rubric, _run(FIXTURES / "several", rubric, tmp_path).findings)
    assert items["deflation"]["status"] == "partial"
    assert items["deflation"]["points"] == pytest.approx(2.0 * 2 / 8)


def test_pdf_sends_every_summary_item_to_manual_review(rubric, tmp_path):
    findings = _run(FIXTURES / "pdf", rubric, tmp_path).findings
    reviewed = [f for f in findings if f.code == "manual_review"]
    assert {f.check for f in reviewed} >= {
        "summary.metrics",
        "summary.deflation",
        "summary.question_1",
        "summary.question_4",
    }
    assert all("PDF" in f.message for f in reviewed)
    items = _items(rubric, findings)
    for item_id in ("summary_metrics", "deflation", "question_1", "question_4"):
        assert items[item_id]["status"] == "manual", item_id
        assert items[item_id]["points"] == 0.0


def test_plausibility_warnings_are_instructor_only_and_free(rubric, tmp_path):
    findings = _run(FIXTURES / "en_transposed", rubric, tmp_path).findings
    warnings = [f for f in findings if f.check == "summary.plausibility"]
    assert {f.code for f in warnings} >= {
        "deflation_band",
        "deflation_trend",
        "identical_metrics",
        "chance_accuracy",
    }
    assert all(
        f.audience == "instructor" and f.passed is None and f.earned is None
        for f in warnings
    )
    without = [f for f in findings if f.check != "summary.plausibility"]
    assert (
        _items(rubric, findings)["deflation"]["points"]
        == _items(rubric, without)["deflation"]["points"]
    )


def test_no_summary_fails_the_auto_item(rubric, tmp_path):
    findings = _run(tmp_path, rubric, tmp_path).findings
    items = _items(rubric, findings)
    assert items["deflation"]["status"] == "fail"
    assert any(f.code == "no_folder" and "summaries/l03" in f.message for f in findings)
    assert items["question_2"]["suggested_points"] == 0.0


def test_rubric_without_summary_section(rubric, tmp_path):
    sections = {k: v for k, v in rubric.sections.items() if k != "summary"}
    bare = dataclasses.replace(rubric, sections=sections)
    result = _run(FIXTURES / "en_tables", bare, tmp_path)
    assert [f.code for f in result.findings] == ["no_lab_data"]


def test_verb_json_and_text(capsys):
    code = main(["summary", str(FIXTURES / "pl_bullets"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["deflation"]["clustered-2-fp32"] == {
        "percent": 92.0,
        "size_bytes": 1300000,
    }
    code = main(["summary", str(FIXTURES / "en_transposed")])
    text = capsys.readouterr().out
    assert code == 0
    assert "Variants found: 8 of 8" in text
    assert "deflation_band" in text and "no deduction" in text


def test_verb_exit_codes(capsys, tmp_path):
    assert main(["summary", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["summary", str(tmp_path)]) == 1
    assert "No summary found" in capsys.readouterr().out
    assert main(["summary", str(FIXTURES / "en_tables"), "--lab", "no_such_lab"]) == 2
