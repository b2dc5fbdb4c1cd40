"""The class page's similarity section: flagged pairs, links, passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grading.private.similarity import write
from grading.private.similarity.view import class_page_section
from grading.report import render_submission, write_gradebook
from grading.util.io import write_json
from grading.util.paths import REPO_ROOT

from .conftest import LAB


def _grades(tmp_path: Path, synthetic_class, result) -> Path:
    """A grades folder of the synthetic class: results, reports, submission.json."""
    grades = tmp_path / "grades"
    for name in synthetic_class.students:
        folder = grades / name
        write_json(
            folder / "submission.json",
            {"student": name, "source": str(synthetic_class.clones / name)},
        )
        write_json(
            folder / "results.json",
            {
                "schema": 1,
                "lab": LAB,
                "student": name,
                "status": "graded",
                "score": 1.0,
                "max_score": 18.0,
                "items": [],
                "unassigned": [],
            },
        )
        (folder / "report-instructor.html").write_text("<p>instructor</p>")
        (folder / "report.html").write_text("<p>student</p>")
    write(result, grades)
    return grades


@pytest.mark.slow
def test_class_page_lists_flagged_pairs_with_links_and_passages(
    tmp_path, synthetic_class, class_result
):
    grades = _grades(tmp_path, synthetic_class, class_result)
    write_gradebook(grades)
    html = (grades / "index.html").read_text(encoding="utf-8")
    assert 'id="similarity"' in html and "6 flagged" in html
    assert 'href="bo/report-instructor.html"' in html
    assert 'href="ivo/report-instructor.html"' in html
    assert "store_tflite" in html  # ivo's passage beside bo's
    assert "Close to the reference solution (1)" in html
    assert html.index('id="similarity"') < html.index("All submissions")
    section = class_page_section(grades)
    assert [(p["a"], p["b"]) for p in section["pairs"]][:1] == [
        (class_result["pairs"][0]["a"], class_result["pairs"][0]["b"])
    ]
    # students' own reports never carry it
    fixture = json.loads(
        (REPO_ROOT / "tests/reports/fixtures/full_marks.json").read_text()
    )
    paths = render_submission(fixture, tmp_path / "student")
    for key in ("html", "markdown"):
        assert "similar" not in paths[key].read_text(encoding="utf-8").lower()


def test_no_or_a_broken_similarity_json_is_handled(tmp_path):
    assert class_page_section(tmp_path) is None
    (tmp_path / "similarity.json").write_text("{broken")
    section = class_page_section(tmp_path)
    assert "unreadable" in section["error"] and section["pairs"] == []
    (tmp_path / "similarity.json").write_text(
        json.dumps(
            {
                "pairs": [
                    {
                        "a": "<script>",
                        "b": "x",
                        "flagged": True,
                        "score": "1",
                        "evidence": [{"signal": "code", "details": [{"a": 1}, "junk"]}],
                    }
                ]
            }
        )
    )
    section = class_page_section(tmp_path)
    assert section["pairs"][0]["a"] == "<script>"
    write_json(tmp_path / "s" / "results.json", {"schema": 1, "lab": LAB, "items": []})
    (tmp_path / "s" / "similarity.json").write_text(
        (tmp_path / "similarity.json").read_text()
    )
    write_gradebook(tmp_path / "s")
    html = (tmp_path / "s" / "index.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
