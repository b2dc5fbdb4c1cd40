"""A time limit is never a score: how reports show items out of time."""

from __future__ import annotations

import csv
import json

from grading.report import render_submission, write_gradebook


def _timeout_results(results) -> dict:
    data = results("full_marks")
    data["status"] = "timeout"
    item = data["items"][0]
    item["status"], item["points"] = "timeout", 0.0
    item["findings"] = [
        {
            "check": "hidden.tfmot_optimized_model",
            "item": item["id"],
            "passed": False,
            "message": "could not check: time limit",
            "code": "timeout",
            "audience": "student",
        }
    ]
    data["score"] = sum(i["points"] for i in data["items"])
    return data


def test_a_timed_out_item_is_not_scored_in_reports(tmp_path, results):
    data = _timeout_results(results)
    title = data["items"][0]["title"]
    folder = tmp_path / "grades" / "zoe"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(data))
    written = render_submission(data, folder)
    html = written["html"].read_text(encoding="utf-8")
    assert "Grading ran out of time" in html and "not scored" in html
    assert "Not checked in time" in html and "Out of time" in html
    assert (
        "Failed</span>"
        not in html.split("Not checked in time")[1].split("</section>")[0]
    )
    md = written["markdown"].read_text(encoding="utf-8")
    assert "Not checked in time" in md
    # A results.json that says graded but has an item out of time is a timeout.
    data["status"] = "graded"
    (folder / "results.json").write_text(json.dumps(data))
    write_gradebook(tmp_path / "grades")
    row = next(csv.DictReader(open(tmp_path / "grades" / "gradebook.csv")))
    assert row["status"] == "timeout" and row["total"] == ""
    html = (tmp_path / "grades" / "index.html").read_text(encoding="utf-8")
    assert f"(not checked: {title})" in html
