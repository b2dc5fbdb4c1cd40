"""The student workflow uploads and prints only the student copy of results.json.

The grader's own ``results.json`` holds the pre-assessment of the summary's
answers (instructor-only findings, their evidence, suggested points). The
workflow hands out :func:`grading.report.student_copy.student_copy` of it:
no suggestion unless the rubric's ``[summary.assess] reveal`` shows it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from delivery_helpers import REPO, git
from workflow_runner import (
    clone_template,
    decode,
    public_outputs,
    run_student_workflow,
    with_bundle,
)

from grading.report.student_copy import student_copy

FIXTURE = REPO / "tests" / "summary" / "fixtures" / "en_tables" / "summaries"
#: Text only the assessment's evidence holds (the fixture's Q4 contradicts its table).
SECRET = "Pareto front of your table"
RUBRIC = Path("grading/labs/l03_pruning_clustering.toml")


def suggestions(results: dict) -> list[str]:
    """Every trace of a suggestion in ``results``: codes, points, evidence."""
    found = [
        f"{item['id']}: suggested_points"
        for item in results["items"]
        if item.get("suggested_points") is not None
    ]
    for item in results["items"]:
        for finding in item["findings"]:
            if finding.get("code") in ("assessment", "not_assessed"):
                found.append(f"{item['id']}: {finding['code']}")
            if "suggested" in (finding.get("data") or {}):
                found.append(f"{item['id']}: data.suggested")
    if SECRET in json.dumps(results):
        found.append(SECRET)
    return found


def uploaded(runner) -> list[Path]:
    """The files of the workflow's upload step, as it names them."""
    job = runner.job
    step = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    paths = step["with"]["path"].splitlines()
    return [Path(runner.expr(p.strip())) for p in paths if p.strip()]


def grade_summary(tmp_path: Path, released: Path, reveal: str | None = None):
    """Run the workflow (public checks) on a push of the fixture's summary."""
    workspace = clone_template(released, tmp_path)
    shutil.copytree(FIXTURE, workspace / "summaries", dirs_exist_ok=True)
    if reveal is not None:  # the rubric's switch, in the grader that runs
        rubric = workspace / RUBRIC
        text = rubric.read_text()
        assert 'reveal = "after_review"' in text
        rubric.write_text(
            text.replace('reveal = "after_review"', f'reveal = "{reveal}"')
        )
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "summaries: Add the lab 03 summary")
    return run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(token="", name="")
    )


@pytest.mark.slow
def test_the_uploaded_results_hold_no_suggestion(tmp_path, released):
    runner = grade_summary(tmp_path, released)
    full = json.loads((runner.temp / "grade-full" / "results.json").read_text())
    assert SECRET in json.dumps(full)  # the grader did assess the answers ...
    assert "question_4: assessment" in suggestions(full)
    files = uploaded(runner)
    assert sorted(p.name for p in files) == ["report.html", "results.json"]
    for path in files:  # ... and none of it is handed out
        assert path.is_file(), path
        assert SECRET not in path.read_text(), path.name
        assert "your answer compared with your own table" not in path.read_text()
    shown = json.loads(files[[p.name for p in files].index("results.json")].read_text())
    assert shown["view"] == "student"
    assert suggestions(shown) == []
    assert [i["id"] for i in shown["items"]] == [i["id"] for i in full["items"]]
    assert SECRET not in public_outputs(runner)  # job summary, outputs, Classroom
    assert decode(runner)["max_score"] > 0


@pytest.mark.slow
def test_the_rubric_switch_shows_the_suggestion_in_the_upload(tmp_path, released):
    runner = grade_summary(tmp_path, released, reveal="always")
    [results] = [p for p in uploaded(runner) if p.name == "results.json"]
    shown = json.loads(results.read_text())
    assert SECRET in results.read_text()
    q4 = next(i for i in shown["items"] if i["id"] == "question_4")
    assert q4["suggested_points"] is not None
    assert SECRET in runner.summary.read_text()  # the report says it too


# ---------------------------------------------------------------------------
# student_copy itself, on hand-made results
# ---------------------------------------------------------------------------


def finding(code, audience, reveal="after_review", **extra):
    return {
        "check": "summary.q",
        "code": code,
        "audience": audience,
        "message": f"{code} message",
        "evidence": f"{code} evidence",
        "data": {"suggested": 0.5, "reveal": reveal} if code == "assessment" else {},
        **extra,
    }


def item(ident, findings, **extra):
    return {
        "id": ident,
        "title": ident,
        "points": 0.0,
        "max_points": 1.0,
        "kind": "manual",
        "status": "manual",
        "source": "manual",
        "suggested_points": 0.5,
        "override": None,
        "findings": findings,
        **extra,
    }


def test_student_copy_keeps_what_the_student_report_shows():
    results = {
        "lab": "l03_pruning_clustering",
        "items": [
            item(
                "waiting",
                [
                    finding("answer_found", "student"),
                    finding("assessment", "instructor"),
                ],
            ),
            item(
                "decided",
                [finding("assessment", "instructor")],
                source="override",
                status="pass",
                points=1.0,
                override={"points": 1.0, "reviewer": "mk"},
            ),
            item("shown", [finding("assessment", "student", reveal="always")]),
            item("warned", [finding("plausibility", "instructor")]),
        ],
        "unassigned": [finding("tamper", "instructor"), finding("note", "student")],
    }
    before = json.dumps(results, sort_keys=True)
    copy = student_copy(results)
    assert json.dumps(results, sort_keys=True) == before  # the input is unchanged
    by = {i["id"]: i for i in copy["items"]}
    assert [f["code"] for f in by["waiting"]["findings"]] == ["answer_found"]
    assert by["waiting"]["suggested_points"] is None
    # after review the decided item shows the suggestion, as the report does
    assert [f["code"] for f in by["decided"]["findings"]] == ["assessment"]
    assert by["decided"]["findings"][0]["audience"] == "student"
    assert by["decided"]["suggested_points"] == 0.5
    assert by["shown"]["suggested_points"] == 0.5  # reveal = "always"
    assert by["warned"]["findings"] == [] and by["warned"]["suggested_points"] is None
    assert [f["code"] for f in copy["unassigned"]] == ["note"]
    assert copy["view"] == "student"


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"items": "many"},
        {"items": [None, 3, {"findings": "x"}, {"findings": [None, "text", 5]}]},
        {"items": [{"findings": [{"audience": "instructor", "code": 7, "data": []}]}]},
        {"unassigned": [None, {"audience": "instructor"}]},
    ],
)
def test_student_copy_of_malformed_results_does_not_crash(results):
    copy = student_copy(results)
    assert copy["view"] == "student"
    assert "instructor" not in json.dumps(copy)
    assert student_copy(copy) == copy  # a copy of the copy changes nothing


def test_the_classroom_verb_writes_the_student_copy(tmp_path, capsys):
    from grading.cli import main

    src = tmp_path / "results.json"
    src.write_text(
        json.dumps(
            {"lab": "l", "items": [item("q", [finding("assessment", "instructor")])]}
        )
    )
    dest = tmp_path / "student" / "results.json"
    assert main(["classroom", str(src), "--student-copy", str(dest)]) == 0
    assert capsys.readouterr().out == ""
    assert suggestions(json.loads(dest.read_text())) == []
    src.write_text("[1, 2]")
    assert main(["classroom", str(src), "--student-copy", str(dest)]) == 1
    src.write_text("{not json")
    assert main(["classroom", str(src), "--student-copy", str(dest)]) == 1
    assert "could not read" in capsys.readouterr().err
