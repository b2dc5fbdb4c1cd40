"""Bounds on what a submission can make the grader write."""

from __future__ import annotations

import json

from grading.pipeline import bounds
from grading.pipeline.findings import Finding


def test_every_string_of_a_finding_is_capped():
    huge = "\u200bx" * 5_000_000
    finding = Finding(
        check="history." + huge,
        item="git_history",
        passed=False,
        message=huge,
        hint=huge,
        evidence=huge,
        code=huge,
        data={"subjects": [huge] * 10_000, huge: {"deep": [[[huge]]]}},
    )
    bounds.bound_finding(finding)
    assert len(finding.message) <= bounds.MAX_MESSAGE
    assert len(finding.hint) <= bounds.MAX_HINT
    assert len(finding.evidence) <= bounds.MAX_EVIDENCE
    assert len(finding.check) <= bounds.MAX_ID and len(finding.code) <= bounds.MAX_ID
    assert len(finding.data["subjects"]) == bounds.MAX_DATA_ENTRIES
    assert all(len(s) <= bounds.MAX_DATA_STRING for s in finding.data["subjects"])
    assert len(json.dumps(finding.to_dict())) < 200_000


def test_results_are_fitted_under_the_limit_without_changing_scores():
    findings = [
        Finding(
            check=f"c{i}",
            item="",
            passed=False,
            message="m" * 3000,
            evidence="e" * 4000,
            data={"x": "d" * 1000},
        )
        for i in range(400)
    ]
    results = {
        "score": 3.5,
        "items": [{"id": "a", "points": 3.5, "status": "partial", "findings": []}],
        "unassigned": [f.to_dict() for f in findings],
        "checks": {"history": {"details": {"big": "z" * 100_000}}},
    }
    assert bounds.fit_results(results, limit=500_000)
    assert len(json.dumps(results)) <= 500_000
    assert results["score"] == 3.5 and results["items"][0]["points"] == 3.5
    assert results["truncated"] is True
    assert not bounds.fit_results({"score": 1, "items": []})


def test_a_huge_report_is_cut_and_says_so(tmp_path):
    report = tmp_path / "report.md"
    report.write_text("# Report\n" + "line\n" * 1_000_000, encoding="utf-8")
    assert bounds.cap_text_file(report, limit=10_000)
    text = report.read_text(encoding="utf-8")
    assert len(text.encode()) <= 10_000 and text.rstrip().endswith("too large ...]")
    assert not bounds.cap_text_file(report, limit=10_000)
