"""The class gradebook: gradebook.csv and index.html over 200 submissions."""

from __future__ import annotations

import csv
import json
import os
import re
from urllib.parse import quote

from grading.pipeline.rubric import load_rubric
from grading.report import write_gradebook
from grading.report.plots import histogram_bins, histogram_svg

from .conftest import LAB, SPECIAL_STUDENTS


def _rows(grades_dir):
    with open(grades_dir / "gradebook.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _records(grades_dir) -> dict[str, dict[str, str]]:
    """The gradebook rows by student, each a dict by column name."""
    with open(grades_dir / "gradebook.csv", encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_csv_has_one_row_per_submission_in_rubric_order(class_dir):
    rows = _rows(class_dir)
    header, body = rows[0], rows[1:]
    item_ids = [item.id for item in load_rubric(LAB).items if not item.requires]
    assert header == [
        "student",
        *item_ids,
        "total",
        "max",
        "status",
        "manual_open",
        "reason",
    ]
    assert len(body) == 204  # 200 graded + error, timeout, corrupt, empty
    folders = sorted(
        p.name
        for p in class_dir.iterdir()
        if p.is_dir() and p.name not in ("slurm", ".partial")
    )
    assert [r[0].lstrip("'") for r in body] == folders
    by_student = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    for student in ("s000", "s100", "李雷", "Żaneta Łukasiewicz"):
        results = json.loads((class_dir / student / "results.json").read_text("utf-8"))
        row = by_student[student]
        assert float(row["total"]) == results["score"]
        assert row["status"] == "graded"
        for item in results["items"]:
            expected = "" if item["status"] == "manual" else item["points"]
            assert (float(row[item["id"]]) if row[item["id"]] else "") == expected
        open_items = [
            i for i in results["items"] if i["status"] == "manual" and i["max_points"]
        ]
        assert int(row["manual_open"]) == len(open_items)


def test_csv_failure_rows_and_statuses(class_dir):
    by_student = _records(class_dir)
    assert by_student["x-error"]["status"] == "error"
    assert by_student["x-timeout"]["status"] == "timeout"
    assert by_student["x-corrupt"]["status"] == "error"
    assert by_student["x-empty"]["status"] == "error"
    for student in ("x-error", "x-timeout", "x-corrupt", "x-empty"):
        row = by_student[student]
        assert row["total"] == ""  # no total for an ungraded submission
        # Max still known from the rubric (18 points of part 1, 23 of part 2).
        assert row["max"] == fmt_max()
    # Each says why it has no total, in one line.
    assert by_student["x-error"]["reason"] == "git clone failed: repository not found"
    assert by_student["x-timeout"]["reason"] == "killed after the limit"
    assert "is not valid JSON" in by_student["x-corrupt"]["reason"]
    assert by_student["x-empty"]["reason"].startswith("no results.json")
    assert by_student["s000"]["reason"] == ""


def test_csv_is_utf8_and_neutralises_formulas(class_dir):
    text = (class_dir / "gradebook.csv").read_text(encoding="utf-8")
    for name in SPECIAL_STUDENTS[:3]:
        assert name in text
    assert "\n'=SUM(1+1)*cmd," in text


def test_gradebook_is_stable(class_dir):
    before = (class_dir / "gradebook.csv").read_bytes()
    write_gradebook(class_dir)
    assert (class_dir / "gradebook.csv").read_bytes() == before


def test_index_overview(class_dir):
    html = (class_dir / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<script" not in html
    assert (
        "<svg" in html
        and f"Distribution of 200 total scores out of {fmt_max()} points" in html
    )
    for item in (i for i in load_rubric(LAB).items if not i.requires):
        assert item.title in html
    assert "Most common findings" in html
    assert "Call tfmot.clustering.keras.strip_clustering" not in html  # hints stay out
    assert "The saved model still has clustering ops" in html
    # Needs attention: errors and timeouts first, each named with its reason.
    attention = html[html.index("Needs attention") : html.index("All submissions")]
    assert attention.index("x-corrupt") < attention.index("plausibility warning: ")
    assert "Timed out after 15 min 00 s: killed after the limit" in attention
    assert "git clone failed: repository not found" in attention
    assert "is not valid JSON" in attention
    assert "no results.json or status.json" in attention
    assert "awaiting review" in attention
    # Links are URL-encoded and point to the instructor report.
    assert f'href="{quote("Żaneta Łukasiewicz")}/report-instructor.html"' in html
    obrien = quote("o'brien & co")
    assert f'href="{obrien}/report.html"' in html
    assert "o&#39;brien &amp; co" in html
    assert 'href="x-timeout/status.json"' in html  # no report: link the reason


def test_histogram_counts_every_graded_score(class_dir):
    rows = _rows(class_dir)
    header = rows[0]
    total, status = header.index("total"), header.index("status")
    scores = [float(r[total]) for r in rows[1:] if r[status] == "graded"]
    bins = histogram_bins(scores, 18)
    assert sum(b["count"] for b in bins) == 200
    assert len(bins) == 18
    html = (class_dir / "index.html").read_text(encoding="utf-8")
    counts = [int(n) for n in re.findall(r"<title>(\d+) submissions? with", html)]
    assert sum(counts) == 200


def test_histogram_edges():
    bins = histogram_bins([0, 17.99, 18, 25, -1], 18)
    assert bins[0]["count"] == 2 and bins[-1]["count"] == 3
    big = histogram_bins([50, 100], 100)
    assert len(big) == 20 and big[-1]["count"] == 1
    svg = histogram_svg([], 18)
    assert svg.startswith("<svg") and "mean" not in svg


def test_missing_folder_is_a_clear_error(tmp_path):
    try:
        write_gradebook(tmp_path / "nope")
    except FileNotFoundError as exc:
        assert "nope is not a folder" in str(exc)
    else:  # pragma: no cover - the call must fail
        raise AssertionError("no error for a missing folder")


def test_status_json_newer_than_results_wins(tmp_path, results):
    folder = tmp_path / "ola"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results("full_marks")))
    status = folder / "status.json"
    status.write_text(
        json.dumps(
            {
                "student": "ola",
                "status": "timeout",
                "message": "regrade hit the limit",
                "seconds": 61,
            }
        )
    )
    write_gradebook(tmp_path)
    assert _records(tmp_path)["ola"]["status"] == "timeout"
    # A later successful regrade wins over the old status.json.
    os.utime(status, (1, 1))
    write_gradebook(tmp_path)
    assert _records(tmp_path)["ola"]["status"] == "graded"


def fmt_max() -> str:
    """The lab's maximum score as the reports write it."""
    value = load_rubric(LAB).max_score
    return str(int(value)) if value == int(value) else str(value)
