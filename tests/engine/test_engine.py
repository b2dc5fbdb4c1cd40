"""The grading engine on fake checks: scoring, outputs, OUT handling."""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET

import pytest

from grading.pipeline import check_runner, engine, outputs
from grading.pipeline.engine import GradingError, grade
from grading.pipeline.options import GradeOptions

OPTS = GradeOptions(check_environment=False)


def _items(results):
    return {item["id"]: item for item in results["items"]}


def test_statuses_and_points(fake_lab, submission):
    results = grade(submission, "lab_a", None, options=OPTS)
    items = _items(results)
    assert (items["full"]["status"], items["full"]["points"]) == ("pass", 2.0)
    assert (items["half"]["status"], items["half"]["points"]) == ("partial", 2.0)
    assert (items["zero"]["status"], items["zero"]["points"]) == ("fail", 0.0)
    assert (items["person"]["status"], items["person"]["points"]) == ("manual", 0.0)
    assert items["person"]["suggested_points"] == 1.0
    assert items["crashy"]["status"] == "error"
    assert any(f["code"] == "grader_error" for f in items["crashy"]["findings"])
    assert items["absent"]["status"] == "manual"
    assert any(f["code"] == "manual_review" for f in items["absent"]["findings"])
    # Nothing assessed it: no suggestion, not a suggested 0.
    assert items["absent"]["suggested_points"] is None
    assert results["score"] == 4.0 and results["max_score"] == 13.0
    assert results["status"] == "error"
    assert results["checks"]["fake_ok"]["status"] == "ok"
    assert results["checks"]["fake_raise"]["status"] == "error"
    assert results["checks"]["fake_missing"]["status"] == "missing"
    unassigned = {f["code"] for f in results["unassigned"]}
    assert {"grader_error", "check_missing"} <= unassigned
    trace = next(f for f in results["unassigned"] if f["code"] == "grader_error")
    assert "boom in the check" in trace["message"]
    assert trace["audience"] == "instructor"


def test_results_files_and_schema(fake_lab, submission):
    results = grade(submission, "lab_a", None, student="s123", options=OPTS)
    out = submission.parent / "alice-grade"
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(results))
    for key in (
        "schema",
        "lab",
        "submission",
        "student",
        "status",
        "graded_at",
        "grader_version",
        "score",
        "max_score",
        "items",
        "unassigned",
        "checks",
        "timings",
        "environment",
    ):
        assert key in on_disk, key
    assert on_disk["student"] == "s123"
    for item in on_disk["items"]:
        assert item["status"] in ("pass", "partial", "fail", "manual", "error")
        for finding in item["findings"]:
            assert {"check", "passed", "message", "hint", "evidence"} <= set(finding)
    assert set(on_disk["timings"]) >= {"total", "checks", "check:fake_ok"}
    assert on_disk["timings"]["total"] >= on_disk["timings"]["checks"]
    # Nothing written inside the submission, no scratch folder left behind.
    assert sorted(p.name for p in submission.rglob("*")) == ["file.py", "pkg"]
    assert not [p for p in out.rglob("*.tmp")]


def test_no_absolute_scratch_paths(fake_lab, submission):
    results = grade(submission, "lab_a", None, options=OPTS)
    text = json.dumps(results["items"]) + json.dumps(results["unassigned"])
    assert "/tmp/" not in text.replace(str(submission.parent), "")
    zero = _items(results)["zero"]["findings"][0]
    assert "<workdir>/fake_ok/x.py" in zero["message"]
    assert zero["evidence"] == "<submission>/pkg/file.py"
    assert results["checks"]["fake_ok"]["details"]["path"] == "<workdir>/fake_ok"


def test_two_gradings_are_identical_apart_from_time(fake_lab, submission, tmp_path):
    def stable(path):
        data = json.loads((path / "results.json").read_text())
        for key in ("graded_at", "timings"):
            data.pop(key)
        for check in data["checks"].values():
            check.pop("seconds")
        return data

    grade(submission, "lab_a", tmp_path / "one", options=OPTS)
    grade(submission, "lab_a", tmp_path / "two", options=OPTS)
    assert stable(tmp_path / "one") == stable(tmp_path / "two")
    junit = [(tmp_path / d / "junit.xml").read_text() for d in ("one", "two")]
    strip = [
        j.replace(j[j.find('time="') : j.find('"', j.find('time="') + 6)], "")
        for j in junit
    ]
    assert strip[0] == strip[1]


def test_options_reach_checks(fake_lab, submission):
    results = grade(
        submission,
        "lab_a",
        None,
        options=GradeOptions(
            check_environment=False, base="v1", timeout=5, memory_mb=100
        ),
    )
    seen = results["checks"]["fake_ok"]["details"]["options"]
    assert seen["base"] == "v1" and seen["timeout"] == 5 and seen["memory_mb"] == 100


def test_out_inside_submission_is_refused(fake_lab, submission):
    with pytest.raises(GradingError, match="inside the submission"):
        grade(submission, "lab_a", submission / "grades", options=OPTS)
    with pytest.raises(GradingError, match="inside the submission"):
        grade(submission, "lab_a", submission, options=OPTS)
    assert not (submission / "grades").exists()


def test_unwritable_out_and_missing_submission(fake_lab, submission, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(GradingError, match="cannot write"):
        grade(submission, "lab_a", blocker / "out", options=OPTS)
    with pytest.raises(GradingError, match="does not exist"):
        grade(tmp_path / "nobody", "lab_a", None, options=OPTS)
    with pytest.raises(GradingError, match="no rubric"):
        grade(submission, "lab_zzz", None, options=OPTS)


def test_lab_detection(fake_lab, submission):
    lab, findings = engine.detect_lab(submission)
    assert lab == "lab_a" and [f.code for f in findings] == ["lab_ambiguous"]
    (submission / "summaries" / "lab_b").mkdir(parents=True)
    (submission / "summaries" / "lab_b" / "summary.md").write_text("# hi\n")
    lab, findings = engine.detect_lab(submission)
    assert lab == "lab_b" and findings == []
    results = grade(submission, None, None, options=OPTS)
    assert results["lab"] == "lab_b"
    # Both labs look present: the later lab is taken and said so.
    (submission / "summaries" / "lab_a").mkdir()
    (submission / "summaries" / "lab_a" / "summary.md").write_text("# hi\n")
    (submission / "pkg" / "lab_a_experiments.py").write_text("# mine\n")
    lab, _ = engine.detect_lab(submission)
    assert lab == "lab_a"  # edited module adds weight
    (submission / "pkg" / "lab_b_experiments.py").write_text("# mine\n")
    lab, findings = engine.detect_lab(submission)
    assert lab == "lab_b" and findings[0].data["candidates"] == ["lab_a", "lab_b"]
    assert "later one" in findings[0].message


def test_report_renderer_is_called_and_its_failure_kept(fake_lab, submission):
    calls = []
    report = engine.report
    report.render_submission = lambda results, out: calls.append(
        (results["score"], out)
    )
    results = grade(submission, "lab_a", None, options=OPTS)
    assert calls == [(results["score"], submission.parent / "alice-grade")]

    def broken(results, out):
        raise KeyError("template variable")

    report.render_submission = broken
    results = grade(submission, "lab_a", None, options=OPTS)
    out = submission.parent / "alice-grade"
    on_disk = json.loads((out / "results.json").read_text())
    codes = [f["code"] for f in on_disk["unassigned"]]
    assert "report_error" in codes
    assert results["score"] == 4.0


def test_gradescope_format(fake_lab, submission):
    grade(submission, "lab_a", None, options=OPTS)
    data = json.loads(
        (submission.parent / "alice-grade" / "gradescope" / "results.json").read_text()
    )
    assert set(data) >= {"score", "output", "tests"}
    assert data["score"] == 4.0
    assert len(data["tests"]) == 6
    for test in data["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert test["visibility"] in (
            "visible",
            "hidden",
            "after_due_date",
            "after_published",
        )
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
    text = json.dumps(data)
    assert "Instructor-only note" not in text
    assert "boom in the check" not in text
    half = next(t for t in data["tests"] if t["number"] == "half")
    assert "expected 4, saw 3" in half["output"] and "Reread task 2." in half["output"]
    assert "README.md#half" in half["output"]
    assert "A note for the student." in data["output"]


def test_junit_format(fake_lab, submission):
    grade(submission, "lab_a", None, options=OPTS)
    root = ET.parse(submission.parent / "alice-grade" / "junit.xml").getroot()
    assert root.tag == "testsuite" and root.get("tests") == "6"
    cases = {c.get("name"): c for c in root.findall("testcase")}
    assert sorted(cases) == sorted(
        ["full", "half", "zero", "person", "crashy", "absent"]
    )
    assert cases["full"].find("failure") is None
    assert "expected 4, saw 3" in cases["half"].find("failure").text
    assert cases["zero"].find("failure") is not None
    assert cases["crashy"].find("error") is not None
    assert cases["person"].find("skipped") is not None
    assert root.get("failures") == "2" and root.get("errors") == "1"
    assert root.get("skipped") == "2"
    assert "Instructor-only" not in ET.tostring(root, encoding="unicode")


def test_write_atomic_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    outputs.write_json(target, {"a": 1})

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        outputs.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_timeout_finding_sets_grading_status(fake_lab, submission, monkeypatch):
    from grading.checks import CheckResult
    from grading.pipeline.findings import Finding

    def run(ctx):
        return CheckResult(
            findings=[
                Finding(
                    "fake.full",
                    "full",
                    False,
                    "did not finish: timeout after 5 s",
                    code="timeout",
                )
            ]
        )

    monkeypatch.setattr(sys.modules["grading.checks.fake_ok"], "run", run)
    monkeypatch.setattr(sys.modules["grading.checks.fake_raise"], "run", run)
    results = grade(submission, "lab_a", None, options=OPTS)
    assert results["status"] == "timeout"
    assert _items(results)["full"]["status"] == "fail"


def test_single_lab_is_taken_without_a_note(fake_lab, submission):
    (fake_lab / "lab_b.toml").unlink()
    assert engine.detect_lab(submission) == ("lab_a", [])


def test_finding_prefixes_name_the_owning_check():
    names = ["hidden_tests", "summary", "history"]
    # artifact.* ids share no prefix with the module name: the module says so.
    assert check_runner.owner("artifact.clustered_model.unique_values", names) == (
        "hidden_tests"
    )
    assert check_runner.owner("hidden.pruned_model.sparsity", names) == "hidden_tests"
    assert check_runner.owner("summary.deflation", names) == "summary"
    assert check_runner.owner("history.rule", names) == "history"
    assert check_runner.owner("nobody.knows", names) is None


def test_grader_folder_in_tracebacks_becomes_a_placeholder(fake_lab, submission):
    results = grade(submission, "lab_a", None, options=OPTS)
    trace = next(f for f in results["unassigned"] if f["code"] == "grader_error")
    assert "<grader>/grading/pipeline/check_runner.py" in trace["evidence"]
    assert str(engine.INSTRUCTOR_ROOT) + "/" not in json.dumps(results["unassigned"])
