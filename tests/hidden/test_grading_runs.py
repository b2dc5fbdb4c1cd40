"""Grade the stubs, the reference and the mutant table with the hidden tests.

Each test is one full run of the hidden suite (one sandboxed pytest process
with TensorFlow, about 20-50 s), so each grading is a single test that makes
all its assertions: xdist may send tests to different workers, and a shared
fixture would grade twice.
"""

from __future__ import annotations

import pytest
from hidden_grading import CODE_ITEMS, LAB, ROOT, grade_hidden
from mutants import BATCHES, MUTANTS, REFERENCE, apply

from grading.pipeline.rubric import load_rubric

pytestmark = pytest.mark.slow


def code_checks(graded: dict) -> dict[str, object]:
    """Finding id -> finding, for the rubric checks of part 1's code items
    (the instructor-only ``derived`` check feeds no item's score; part 2's
    are tested in tests/structured/)."""
    rubric = load_rubric(LAB)
    wanted = {
        c.check for item in rubric.items if item.id in CODE_ITEMS for c in item.checks
    }
    return {f.check: f for f in graded["findings"] if f.check in wanted}


def test_stubs_score_zero_with_not_implemented(tmp_path):
    graded = grade_hidden(tmp_path, None)
    for item in CODE_ITEMS:
        entry = graded["items"][item]
        assert entry["points"] == 0, (item, entry["points"])
        assert entry["status"] == "fail", (item, entry["status"])
    checks = code_checks(graded)
    assert checks, "the hidden tests produced no findings"
    for check, finding in checks.items():
        assert finding.passed is False, check
        assert finding.code == "not_implemented", (check, finding.code, finding.message)
        assert "NotImplementedError" in finding.message, (check, finding.message)
        assert "Task" in finding.message, (check, finding.message)
        assert "NotImplementedError" in finding.hint or "stub" in finding.hint, check
        assert "README.md#task-" in finding.hint, (check, finding.hint)


def test_reference_scores_full_marks(tmp_path, reference_source):
    graded = grade_hidden(tmp_path, reference_source)
    for item in CODE_ITEMS:
        entry = graded["items"][item]
        assert entry["points"] == entry["max_points"], (
            item,
            [
                (f["check"], f["message"])
                for f in entry["findings"]
                if f["passed"] is not True
            ],
        )
        assert entry["status"] == "pass"
    checks = code_checks(graded)
    failed = {k: (f.code, f.message) for k, f in checks.items() if not f.passed}
    assert not failed
    # Every check the rubric lists for the code items was produced.
    rubric = load_rubric(LAB)
    wanted = {
        c.check for item in rubric.items if item.id in CODE_ITEMS for c in item.checks
    }
    assert wanted and wanted <= set(checks), sorted(wanted - set(checks))
    timings = graded["result"].details["timings"]
    assert timings["pytest"] > 0 and timings["tf_import"] > 0


@pytest.mark.parametrize("batch", sorted(BATCHES))
def test_mutants_lose_exactly_what_they_break(tmp_path, batch):
    names = BATCHES[batch]
    items = [MUTANTS[n]["item"] for n in names]
    assert len(items) == len(set(items)), f"{batch}: two mutants of one class"
    source = apply((ROOT / REFERENCE).read_text(encoding="utf-8"), names)
    graded = grade_hidden(tmp_path, source)
    checks = code_checks(graded)
    failed = {c for c, f in checks.items() if f.passed is False}
    expected = set().union(*(MUTANTS[n]["breaks"] for n in names))
    assert failed == expected, (
        f"{batch}: unexpected failures {sorted(failed - expected)}, "
        f"unexpected passes {sorted(expected - failed)}; messages: "
        + "; ".join(
            f"{c}: {checks[c].message[:200]}"
            for c in sorted(failed ^ expected)
            if c in checks
        )
    )
    for item in CODE_ITEMS:
        entry = graded["items"][item]
        if item in items:
            assert entry["points"] < entry["max_points"], (batch, item)
        else:
            assert entry["points"] == entry["max_points"], (batch, item)
    for name in names:
        mutant = MUTANTS[name]
        for check in mutant["breaks"]:
            finding = checks[check]
            assert finding.message and finding.hint, (name, check)
        if mutant.get("code"):
            codes = {checks[c].code for c in mutant["breaks"]}
            assert mutant["code"] in codes, (name, codes)


def test_import_failing_on_a_fresh_clone_is_run_again_with_the_folder(
    tmp_path, reference_source
):
    # A log file opened at import time in a folder that is not committed: an
    # instructor would create the folder and run it again, and so does the
    # grader (grading/hidden/fresh_clone.py); the student is told which folder.
    marker = "\nREADME = "
    assert marker in reference_source
    source = reference_source.replace(
        marker, "\nLOG = open('logs/experiments.log', 'a')\nREADME = ", 1
    )
    graded = grade_hidden(tmp_path, source)
    for item in CODE_ITEMS:
        entry = graded["items"][item]
        assert entry["points"] == entry["max_points"], item
    notes = [f for f in graded["findings"] if f.check == "hidden.fresh_clone"]
    assert len(notes) == 1, notes
    assert notes[0].code == "fresh_clone_folder" and notes[0].passed is False
    assert notes[0].data["folders"] == ["logs"]
    assert "logs/" in notes[0].message and "mkdir" in notes[0].hint
