"""What the student and the instructor see of a suggestion, and confirming
suggestions in one step (``report --accept-suggestions``)."""

from __future__ import annotations

import dataclasses
import html
import json
from pathlib import Path

import pytest

from grading.checks import CheckContext
from grading.checks import summary as check
from grading.cli import main
from grading.pipeline.scoring import score
from grading.report.classpage import EVIDENCE_ORDER
from grading.report.overrides import AUDIT_FILE
from grading.report.render import render_reports
from grading.report.views import submission_view

FIXTURE = Path(__file__).resolve().parents[1] / "summary" / "fixtures" / "en_tables"
QUESTION_ITEMS = [f"question_{n}" for n in range(1, 5)]
#: Text only the assessment evidence holds (the fixture's Q4 contradicts its table).
SECRET = "Pareto front of your table"


def _results(rubric, tmp_path, student="alice") -> dict:
    ctx = CheckContext(
        submission=FIXTURE, workdir=tmp_path, lab=rubric.lab, rubric=rubric
    )
    scored = score(rubric, check.run(ctx).findings)
    return {
        "student": student,
        "lab": rubric.lab,
        "status": "graded",
        "submission": str(FIXTURE),
        **scored,
    }


def _with_reveal(rubric, reveal):
    summary = dict(rubric.sections["summary"])
    summary["assess"] = {**summary["assess"], "reveal": reveal}
    return dataclasses.replace(rubric, sections={**rubric.sections, "summary": summary})


@pytest.fixture
def grades(rubric, tmp_path) -> Path:
    root = tmp_path / "grades"
    for student in ("alice", "bob"):
        folder = root / student
        folder.mkdir(parents=True)
        results = _results(rubric, tmp_path, student)
        (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return root


def _items(folder: Path) -> dict:
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return {i["id"]: i for i in data["items"]}


def test_student_does_not_see_the_suggestion_before_review(rubric, tmp_path):
    reports = render_reports(_results(rubric, tmp_path), tmp_path)
    assert SECRET in reports["report-instructor.html"]
    assert "contradicts your table" in reports["report-instructor.html"]
    for name in ("report.html", "report.md"):
        assert SECRET not in reports[name]
        assert "contradicts your table" not in reports[name]
        assert "your answer compared with your own table" not in reports[name]
    # the located passage is still shown, so the student can check it
    assert "No method dominates on both" in reports["report.html"]


def test_suggestions_are_not_warnings(rubric, tmp_path):
    results = _results(rubric, tmp_path)
    view = submission_view(results, "instructor")
    assert not [w for w in view["warnings"] if SECRET in w["finding"]["evidence"]]
    q4 = next(i for i in view["items"] if i["id"] == "question_4")
    shown = [f for f in q4["findings"] if SECRET in f["evidence"]]
    assert shown and shown[0]["state"] == "review" and shown[0]["instructor_only"]
    assert q4["suggested"] == "0.5 / 1"
    html = render_reports(results, tmp_path)["report-instructor.html"]
    assert "Needs your attention" not in html


def test_rubric_switch_shows_the_suggestion_at_once(rubric, tmp_path):
    reports = render_reports(
        _results(_with_reveal(rubric, "always"), tmp_path), tmp_path
    )
    assert SECRET in reports["report.html"]
    assert SECRET in reports["report.md"]


def test_accept_suggestions_confirms_and_audits(grades, capsys):
    before = _items(grades / "alice")
    suggested = {i: before[i]["suggested_points"] for i in QUESTION_ITEMS}
    assert suggested == {
        "question_1": 1.0,
        "question_2": 1.0,
        "question_3": 1.0,
        "question_4": 0.5,
    }
    assert (
        main(
            [
                "report",
                str(grades),
                "--accept-suggestions",
                "--reviewer",
                "mk",
                "--quiet",
            ]
        )
        == 0
    )
    for student in ("alice", "bob"):
        items = _items(grades / student)
        for item_id in QUESTION_ITEMS:
            item = items[item_id]
            assert item["source"] == "override" and item["points"] == suggested[item_id]
            assert item["override"]["reviewer"] == "mk"
            assert item["override"]["accepted_suggestion"] is True
        assert items["deflation"]["source"] == "check"  # auto items untouched
    audit = [json.loads(x) for x in (grades / AUDIT_FILE).read_text().splitlines()]
    assert len(audit) == 8 and all(e["accepted_suggestion"] for e in audit)
    assert {e["reviewer"] for e in audit} == {"mk"}
    assert audit[0]["previous_source"] == "manual"
    # after confirmation the student sees the evidence
    assert SECRET in (grades / "alice" / "report.html").read_text(encoding="utf-8")
    # a second run decides nothing new and audits nothing
    assert (
        main(
            [
                "report",
                str(grades),
                "--accept-suggestions",
                "--reviewer",
                "mk",
                "--quiet",
            ]
        )
        == 0
    )
    assert len((grades / AUDIT_FILE).read_text().splitlines()) == 8


def test_accept_one_item_and_override_another(grades, tmp_path):
    decisions = tmp_path / "d.csv"
    decisions.write_text(
        "submission,item,points,comment,reviewer\nalice,question_4,1,Fair enough,jk\n",
        encoding="utf-8",
    )
    argv = [
        "report",
        str(grades),
        "--overrides",
        str(decisions),
        "--accept-suggestions",
        "--reviewer",
        "mk",
        "--item",
        "question_4",
        "--item",
        "question_2",
        "--quiet",
    ]
    assert main(argv) == 0
    alice, bob = _items(grades / "alice"), _items(grades / "bob")
    assert (
        alice["question_4"]["points"] == 1.0
        and alice["question_4"]["override"]["reviewer"] == "jk"
    )
    assert "accepted_suggestion" not in alice["question_4"]["override"]
    assert (
        bob["question_4"]["points"] == 0.5
        and bob["question_4"]["override"]["reviewer"] == "mk"
    )
    assert alice["question_2"]["source"] == "override"
    assert alice["question_1"]["source"] == "manual"
    # a student's report shows a suggestion only once its item is decided
    html = (grades / "alice" / "report.html").read_text(encoding="utf-8")
    assert "your answer compared with your own table (ratio)" in html
    assert "(best of groups)" not in html


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--accept-suggestions"], "needs --reviewer"),
        (
            ["--accept-suggestions", "--reviewer", "mk", "--item", "question_9"],
            "question_9",
        ),
        (["--reviewer", "mk"], "go with --accept-suggestions"),
    ],
)
def test_accept_suggestions_errors_change_nothing(grades, capsys, argv, message):
    before = (grades / "alice" / "results.json").read_bytes()
    assert main(["report", str(grades), *argv]) == 1
    assert message in capsys.readouterr().err
    assert (grades / "alice" / "results.json").read_bytes() == before
    assert not (grades / AUDIT_FILE).exists()


def test_machine_outputs_for_students_hold_no_suggestion(rubric, tmp_path):
    from grading.pipeline.outputs import gradescope, junit
    from grading.report.classroom import classroom_result

    results = _results(rubric, tmp_path)
    for out in (gradescope(results), junit(results), classroom_result(results)):
        dumped = json.dumps(out) if not isinstance(out, str) else out
        assert SECRET not in dumped
        assert "contradicts your table" not in dumped


def test_class_page_counts_suggestions_to_confirm(grades):
    assert main(["report", str(grades), "--quiet"]) == 0
    index = (grades / "index.html").read_text(encoding="utf-8")
    assert "suggestions to confirm" in index
    assert (
        "Question 4: smallest and best-performing method (suggested 0.5 / 1)" in index
    )
    assert SECRET not in index  # the full evidence stays in the instructor reports
    # where an answer contradicts the student's table, the class page says so
    assert "contradicts your table: «No method dominates on both.»" in index
    # every suggestion shows the evidence line a person checks first
    results = json.loads((grades / "alice" / "results.json").read_text("utf-8"))
    for item in results["items"]:
        if item["id"] not in QUESTION_ITEMS or item["suggested_points"] is None:
            continue
        lines = [
            x.lstrip("- ")
            for f in item["findings"]
            if f["code"] == "assessment"
            for x in f["evidence"].splitlines()
        ]
        first = next(x for p in EVIDENCE_ORDER for x in lines if x.startswith(p))
        assert html.escape(first[:60], quote=False) in index, item["id"]
    assert (
        main(
            [
                "report",
                str(grades),
                "--accept-suggestions",
                "--reviewer",
                "mk",
                "--quiet",
            ]
        )
        == 0
    )
    index = (grades / "index.html").read_text(encoding="utf-8")
    assert "suggestions to confirm" not in index


def test_an_answer_not_assessed_shows_no_suggested_points(rubric, tmp_path):
    results = _results(rubric, tmp_path)
    q1 = next(i for i in results["items"] if i["id"] == "question_1")
    for finding in q1["findings"]:
        if finding["code"] == "assessment":
            finding.update(
                code="not_assessed", score=None, message="Question 1: no suggestion"
            )
            finding["data"]["suggested"] = None
    view = submission_view(results, "instructor")
    item = next(i for i in view["items"] if i["id"] == "question_1")
    assert item["suggested"] == ""
    loaded = {"alice": results}
    from grading.report.suggestions import suggested_decisions

    assert "question_1" not in {d.item for d in suggested_decisions(loaded, "mk")}


def test_hostile_answer_text_is_escaped_in_every_report(rubric, tmp_path):
    results = _results(_with_reveal(rubric, "always"), tmp_path)
    q2 = next(i for i in results["items"] if i["id"] == "question_2")
    shown = next(f for f in q2["findings"] if f["code"] == "assessment")
    shown["evidence"] += "\n- quoted «<script>alert(1)</script> ``` [x](javascript:1)»"
    reports = render_reports(results, tmp_path)
    for name in ("report.html", "report-instructor.html"):
        assert "<script>alert(1)" not in reports[name]
        assert "&lt;script&gt;alert(1)" in reports[name]
    md = reports["report.md"]
    before = md[: md.index("javascript:1")]
    fences = [ln for ln in before.splitlines() if ln.lstrip().startswith("```")]
    assert len(fences) % 2 == 1  # the quote sits inside a code fence


def _without_assessors(rubric):
    summary = dict(rubric.sections["summary"])
    summary["questions"] = [
        {k: v for k, v in q.items() if k != "assess"} for q in summary["questions"]
    ]
    return dataclasses.replace(rubric, sections={**rubric.sections, "summary": summary})


def test_a_found_answer_without_an_assessor_suggests_no_points(rubric, tmp_path):
    results = _results(_without_assessors(rubric), tmp_path)
    for item_id in QUESTION_ITEMS:
        item = next(i for i in results["items"] if i["id"] == item_id)
        codes = {f["code"] for f in item["findings"]}
        assert codes & {"answer_found", "answer_short"}, item_id
        assert "assessment" not in codes
        assert item["suggested_points"] is None, item_id
        assert item["status"] == "manual" and item["source"] == "manual"
        view = submission_view(results, "instructor")
        shown = next(i for i in view["items"] if i["id"] == item_id)
        assert shown["suggested"] == ""
