"""Which lab a submission is: from its summary folder and edited modules."""

from __future__ import annotations

from pathlib import Path

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric, RubricError, available_labs, load_rubric
from grading.util.paths import REPO_ROOT


class NoLabError(RuntimeError):
    """No lab rubric can be used; the message says why."""


def _differs_from_template(submission: Path, rel: str) -> bool:
    """True if the submission has ``rel`` and it is not the instructor's file."""
    mine = submission / rel
    if not mine.is_file():
        return False
    template = REPO_ROOT / rel
    try:
        return not template.is_file() or mine.read_bytes() != template.read_bytes()
    except OSError:
        return True


def _has_summary(submission: Path, rubric: Rubric) -> bool:
    folder = submission / rubric.summary_dir
    try:
        return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))
    except OSError:
        return False


def _signs(submission: Path) -> dict[str, int]:
    """Return the score of each lab: 2 for a summary, 1 for an edited module."""
    scores: dict[str, int] = {}
    for lab in available_labs():
        try:
            rubric = load_rubric(lab)
        except RubricError:
            continue
        points = 2 if _has_summary(submission, rubric) else 0
        if rubric.student_module and _differs_from_template(
            submission, rubric.student_module
        ):
            points += 1
        scores[lab] = points
    return scores


def detect_lab(submission: Path) -> tuple[str, list[Finding]]:
    """Guess the lab of a submission from its summary folder and edited modules.

    Each lab with a rubric gets 2 points when its ``summary_dir`` holds a file
    and 1 point when its ``student_module`` differs from the course template.
    The highest total wins; a tie (or no sign at all) is broken by taking the
    first lab with a rubric in name order, and a finding says so (when there
    is only one lab, it is taken without a finding).

    Returns
    -------
    lab : str
        The lab id.
    findings : list of Finding
        Informational findings on how the lab was chosen.

    Raises
    ------
    NoLabError
        If no lab has a usable rubric.
    """
    if not available_labs():
        raise NoLabError("no lab rubric found in grading/labs/; nothing to grade with")
    scores = _signs(submission)
    if not scores:
        raise NoLabError(
            "every rubric in grading/labs/ is broken; run 'python -m "
            "grading grade --lab LAB' to see the error"
        )
    best = max(scores.values())
    top = sorted(lab for lab, points in scores.items() if points == best)
    chosen = top[0]
    if len(scores) == 1 or (best > 0 and len(top) == 1):
        return chosen, []
    why = (
        "no summary folder or edited experiment module of any lab was found"
        if best == 0
        else "the submission looks like several labs (" + ", ".join(top) + ")"
    )
    finding = Finding(
        check="engine.lab_detection",
        item="",
        passed=None,
        message=f"Graded as {chosen}: {why}, so the first lab with a rubric was taken.",
        hint="Pass --lab to grade another lab.",
        code="lab_ambiguous",
        data={"candidates": top, "scores": scores},
    )
    return chosen, [finding]
