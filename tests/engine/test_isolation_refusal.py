"""Without bubblewrap the grader refuses student code; the unsafe flag says so.

End to end through the command line, with bubblewrap made unavailable by
setting the cached probe result (``isolation._STATUS``): ``grade`` leaves the
code items ``error`` with a ``hidden.sandbox`` finding and runs no student
code, ``batch`` stops before grading anyone, and ``--unsafe-no-sandbox``
puts the "not a grade of record" note into the results and the report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grading.cli import main
from grading.sandbox import isolation

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "hidden"))
from hidden_grading import CODE_ITEMS, LAB, make_submission  # noqa: E402

REASON = "no bwrap in this test"


@pytest.fixture
def no_bubblewrap(monkeypatch):
    monkeypatch.setattr(isolation, "_STATUS", isolation.Status(False, "", REASON))


def _grade(submission: Path, out: Path, *extra: str) -> dict:
    argv = ["grade", str(submission), "--out", str(out), "--lab", LAB, "--quiet"]
    assert main([*argv, *extra]) == 0
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _sandbox_findings(results: dict) -> list[dict]:
    return [f for f in results["unassigned"] if f["check"] == "hidden.sandbox"]


def test_grade_refuses_to_run_student_code_without_bubblewrap(tmp_path, no_bubblewrap):
    submission = make_submission(tmp_path / "alice", None)
    # Code that would leave a mark if anything ran it.
    mark = tmp_path / "ran"
    module = submission / "dl_in_iot_course/l03_pruning_clustering/__init__.py"
    module.write_text(f"open({str(mark)!r}, 'w').write('ran')\n")
    results = _grade(submission, tmp_path / "out")
    items = {i["id"]: i for i in results["items"]}
    for item in CODE_ITEMS:
        assert items[item]["status"] == "error", item
        assert items[item]["points"] == 0, item
    (finding,) = _sandbox_findings(results)
    assert finding["code"] == "grader_error" and REASON in finding["message"]
    assert "--unsafe-no-sandbox" in finding["message"]
    assert results["checks"]["hidden_tests"]["details"]["ran"] is False
    assert not mark.exists()
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "does not run untrusted code without its sandbox" in report


def test_batch_stops_before_grading_anyone(tmp_path, no_bubblewrap, capsys):
    clones = tmp_path / "clones"
    make_submission(clones / "alice", None)
    out = tmp_path / "grades"
    assert main(["batch", str(clones), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert REASON in err and "--unsafe-no-sandbox" in err
    assert not (out / "alice").exists()


@pytest.mark.slow
@pytest.mark.tf
def test_unsafe_run_says_it_is_not_a_grade_of_record(tmp_path, no_bubblewrap):
    submission = make_submission(tmp_path / "alice", None)
    out = tmp_path / "out"
    results = _grade(submission, out, "--unsafe-no-sandbox")
    (finding,) = _sandbox_findings(results)
    assert finding["code"] == "unsandboxed" and REASON in finding["message"]
    assert results["checks"]["hidden_tests"]["details"]["ran"] is True
    for name in ("report.md", "report.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "feedback, not a grade of record" in text, name
