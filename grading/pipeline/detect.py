"""Which lab a submission is: from its summary folder and edited modules."""

from __future__ import annotations

from pathlib import Path

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Rubric, RubricError, available_labs, load_rubric
from grading.util.git import git_blob_sha
from grading.util.paths import REPO_ROOT
from grading.versions import versions_of


class NoLabError(RuntimeError):
    """No lab rubric can be used; the message says why."""


def _template_blobs(lab: str, rel: str) -> set[str]:
    """Blob ids ``rel`` has in our template and in every recorded version."""
    blobs = set()
    for template in versions_of(lab):
        blobs.update((template.lab(lab).get("files") or {}).get(rel, []))
    try:
        blobs.add(git_blob_sha((REPO_ROOT / rel).read_bytes()))
    except OSError:
        pass
    return blobs


def _differs_from_template(submission: Path, rel: str, lab: str = "") -> bool:
    """True if the submission has ``rel`` and it is no template version's file."""
    mine = submission / rel
    if not mine.is_file():
        return False
    try:
        return git_blob_sha(mine.read_bytes()) not in _template_blobs(lab, rel)
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
            submission, rubric.student_module, lab
        ):
            points += 1
        scores[lab] = points
    return scores


def detect_lab(submission: Path) -> tuple[str, list[Finding]]:
    """Guess the lab of a submission from its summary folder and edited modules.

    Each lab with a rubric gets 2 points when its ``summary_dir`` holds a file
    and 1 point when its ``student_module`` differs from every template
    version's (ours and the original course's, ``grading/versions/``). The
    highest total wins. A tie between labs with work goes to the later lab
    (labs are numbered in course order: a fork that holds the work of lab 02
    and lab 03 is graded as lab 03); with no sign at all the first lab by
    name is taken. A finding says how (when
    there is only one lab, it is taken without a finding).

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
    if len(scores) == 1 or (best > 0 and len(top) == 1):
        return top[0], []
    if best == 0:
        chosen = top[0]
        why = (
            "no summary folder or edited experiment module of any lab was found, "
            "so the first lab with a rubric was taken"
        )
    else:
        # Labs are numbered in course order and students do them in turn, so
        # a repository with the work of several is handed in for the later.
        chosen = top[-1]
        why = (
            "the submission holds the work of several labs ("
            + ", ".join(top)
            + f"), and {chosen} is the later one"
        )
    finding = Finding(
        check="engine.lab_detection",
        item="",
        passed=None,
        message=f"Graded as {chosen}: {why}.",
        hint="Pass --lab to grade another lab.",
        code="lab_ambiguous",
        data={"candidates": top, "scores": scores},
    )
    return chosen, [finding]
