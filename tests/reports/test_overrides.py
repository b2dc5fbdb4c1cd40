"""Manual review: decisions files, validation, re-rendering, the report verb."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from grading.cli import main
from grading.report import OverrideError, apply_overrides, load_decisions

from .conftest import load_fixture

DECISIONS_TOML = """\
reviewer = "mk"

[[decision]]
submission = "cezary"
item = "question_1"
points = 1
comment = "Clear comparison with numbers."

[[decision]]
submission = "cezary"
item = "question_2"
points = 0.5
comment = "Ratio computed against the wrong file."
reviewer = "jk"

[[decision]]
submission = "bob"
item = "clustered_model"
points = 1
comment = "Partial credit: the idea is there, see office hours."
"""


@pytest.fixture
def grades(tmp_path) -> Path:
    """A grades folder with three graded submissions and one failed grading."""
    root = tmp_path / "grades"
    for name in ("manual_open", "zero", "full_marks"):
        results = load_fixture(name)
        folder = root / results["student"]
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (root / "gosia").mkdir()
    (root / "gosia" / "status.json").write_text(
        json.dumps({"student": "gosia", "status": "error", "message": "clone failed"})
    )
    return root


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _results(root: Path, student: str) -> dict:
    return json.loads((root / student / "results.json").read_text(encoding="utf-8"))


def test_toml_decisions_are_merged_and_totals_recomputed(grades, tmp_path):
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(DECISIONS_TOML, encoding="utf-8")
    apply_overrides(grades, decisions)
    cezary = _results(grades, "cezary")
    items = {i["id"]: i for i in cezary["items"]}
    assert items["question_1"]["points"] == 1.0
    assert items["question_1"]["status"] == "pass"
    assert items["question_1"]["source"] == "override"
    assert items["question_1"]["override"]["reviewer"] == "mk"  # file default
    assert items["question_2"]["status"] == "partial"
    assert items["question_2"]["override"]["reviewer"] == "jk"
    assert items["question_3"]["status"] == "manual"  # not decided yet
    assert cezary["score"] == 11.25 + 1.5
    assert set(cezary) == set(load_fixture("manual_open"))  # same structure
    bob = _results(grades, "bob")
    assert bob["score"] == 1.0
    clustered = next(i for i in bob["items"] if i["id"] == "clustered_model")
    assert clustered["suggested_points"] is None or clustered["suggested_points"] == 0
    assert clustered["status"] == "partial"
    # Reports say which points came from a person.
    html = (grades / "cezary" / "report.html").read_text(encoding="utf-8")
    assert "Decided by jk" in html and "Ratio computed against the wrong file." in html
    assert "12.75<small> / 18</small>" in html
    md = (grades / "bob" / "report.md").read_text(encoding="utf-8")
    assert "Decided by mk" in md
    # Every submission was re-rendered, and the gradebook updated.
    assert (grades / "ada" / "report.html").is_file()
    rows = list(csv.DictReader((grades / "gradebook.csv").open(encoding="utf-8")))
    by_student = {r["student"]: r for r in rows}
    assert by_student["cezary"]["total"] == "12.75"
    assert by_student["cezary"]["question_2"] == "0.5"
    assert by_student["cezary"]["manual_open"] == "3"
    assert by_student["gosia"]["status"] == "error"


def test_applying_twice_changes_nothing(grades, tmp_path):
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(DECISIONS_TOML, encoding="utf-8")
    apply_overrides(grades, decisions)
    first = _results(grades, "cezary")
    apply_overrides(grades, decisions)
    assert _results(grades, "cezary") == first


def test_csv_decisions_with_semicolons_and_decimal_commas(grades, tmp_path):
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "\ufeffsubmission;item;points;comment;reviewer\n"
        "# comments and blank lines are skipped\n\n"
        "cezary;deflation;1,5;Brak rozmiaru dla pruned-0.5;Łukasz\n",
        encoding="utf-8",
    )
    apply_overrides(grades, decisions)
    deflation = next(
        i for i in _results(grades, "cezary")["items"] if i["id"] == "deflation"
    )
    assert deflation["points"] == 1.5
    assert deflation["override"]["reviewer"] == "Łukasz"
    assert deflation["override"]["comment"] == "Brak rozmiaru dla pruned-0.5"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("nobody,question_1,1,x,mk", "decisions.csv:3: unknown submission 'nobody'"),
        ("cezary,question_9,1,x,mk", "decisions.csv:3: unknown item 'question_9'"),
        (
            "cezary,question_1,2,x,mk",
            "decisions.csv:3: 2 points for 'question_1' is over its maximum of 1",
        ),
        (
            "cezary,question_1,-1,x,mk",
            "decisions.csv:3: 'points' is '-1'; points cannot be negative",
        ),
        (
            "cezary,question_1,lots,x,mk",
            "decisions.csv:3: 'points' is 'lots', not a number",
        ),
        ("cezary,question_1,1,x,", "decisions.csv:3: 'reviewer' is empty"),
        (
            "cezary,question_3,1,x,mk",
            "decisions.csv:3: 'cezary' / 'question_3' is already decided at",
        ),
        (
            "gosia,question_1,1,x,mk",
            "decisions.csv:3: submission 'gosia' has no usable results",
        ),
    ],
)
def test_invalid_decision_names_the_line_and_changes_nothing(
    grades, tmp_path, row, message
):
    apply_overrides(grades, None)  # reports and gradebook exist before
    before = _snapshot(grades)
    decisions = tmp_path / "decisions.csv"
    header = "submission,item,points,comment,reviewer\n"
    first = "cezary,question_3,1,fine,mk\n"  # a valid line before the bad one
    decisions.write_text(header + first + row + "\n", encoding="utf-8")
    with pytest.raises(OverrideError) as info:
        apply_overrides(grades, decisions)
    assert message in str(info.value)
    assert "nothing was changed" in str(info.value)
    assert _snapshot(grades) == before


def test_toml_errors_name_the_line(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text(
        '[[decision]]\nsubmission = "a"\nitem = "b"\npoints = 1\nreviewer = "x"\n\n'
        '[[decision]]\nsubmission = "a"\nitem = "c"\nreviewer = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(OverrideError, match=r"d\.toml:7: 'points' is missing"):
        load_decisions(path)
    path.write_text("[[decision]\n", encoding="utf-8")
    with pytest.raises(OverrideError, match="not valid TOML"):
        load_decisions(path)


def test_csv_needs_a_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("cezary,question_1,1,x,mk\n", encoding="utf-8")
    with pytest.raises(OverrideError, match="d.csv:1: the header lacks"):
        load_decisions(path)


def test_report_verb(grades, tmp_path, capsys):
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(DECISIONS_TOML, encoding="utf-8")
    assert main(["report", str(grades), "--overrides", str(decisions)]) == 0
    out = capsys.readouterr()
    assert "merged 3 decision(s) into 2 submission(s)" in out.out
    assert "gradebook.csv" in out.out
    assert "rendering reports 3/3" in out.err
    bad = tmp_path / "bad.toml"
    bad.write_text(
        DECISIONS_TOML.replace("question_2", "question_22"), encoding="utf-8"
    )
    assert main(["report", str(grades), "--overrides", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.toml:9: unknown item 'question_22'" in err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["report", str(grades), "--overrides", str(tmp_path / "no.csv")]) == 1


def test_rerender_without_decisions(grades):
    assert main(["report", str(grades), "--quiet"]) == 0
    for student in ("ada", "bob", "cezary"):
        assert (grades / student / "report-instructor.html").is_file()
    assert (grades / "index.html").is_file()


def test_every_problem_is_listed_in_line_order(grades, tmp_path):
    decisions = tmp_path / "d.csv"
    decisions.write_text(
        "submission,item,points,comment,reviewer\n"
        "cezary,question_9,1,x,mk\n"
        "nobody,question_1,3,x,\n"
        "bob,question_1,5,x,mk\n",
        encoding="utf-8",
    )
    with pytest.raises(OverrideError) as info:
        apply_overrides(grades, decisions)
    lines = str(info.value).splitlines()
    assert lines[0] == "3 problem(s) in the decisions; nothing was changed:"
    assert [line.split(":")[1] for line in lines[1:]] == ["2", "3", "4"]


def test_deciding_every_item_out_of_time_completes_the_grade(tmp_path):
    data = load_fixture("full_marks")
    data["status"] = "timeout"
    late = data["items"][0]
    late["status"], late["points"] = "timeout", 0.0
    folder = tmp_path / "zoe"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(data))
    (folder / "status.json").write_text(
        json.dumps({"student": "zoe", "status": "timeout", "message": "slow"})
    )
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(
        f'reviewer = "mk"\n[[decision]]\nsubmission = "zoe"\nitem = "{late["id"]}"\n'
        f'points = {late["max_points"]}\ncomment = "Ran it myself: it works."\n'
    )
    apply_overrides(tmp_path, decisions)
    merged = json.loads((folder / "results.json").read_text())
    assert merged["status"] == "graded"
    with open(tmp_path / "gradebook.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["status"] == "graded" and row["total"] == "18"


def test_a_timeout_without_items_out_of_time_stays_a_timeout(tmp_path):
    """An older results.json marks the run, not the items: a decision on one
    item must not turn the other items' time-limited checks into a score."""
    data = load_fixture("full_marks")
    data["status"] = "timeout"
    folder = tmp_path / "zoe"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(data))
    decisions = tmp_path / "decisions.toml"
    item = data["items"][0]["id"]
    decisions.write_text(
        f'reviewer = "mk"\n[[decision]]\nsubmission = "zoe"\nitem = "{item}"\n'
        'points = 1\ncomment = "ok"\n'
    )
    apply_overrides(tmp_path, decisions)
    assert json.loads((folder / "results.json").read_text())["status"] == "timeout"
