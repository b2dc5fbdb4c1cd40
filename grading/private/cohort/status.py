"""What a batch records about each submission: the one writer of ``status.json``.

``OUT/<student>/status.json`` says that a grading did not complete:
``{"student", "status": "error"|"timeout", "message", "seconds"}`` and, for
a regraded submission, ``"attempts"``. It sits beside ``results.json`` when
the grader wrote one that is not a grade (a time limit stopped checks), and
alone otherwise. ``OUT/not-graded.json`` lists the submissions the batch did
not grade at all (an unusable student id). The gradebook reads both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grading.private.cohort.roster import Rejected
from grading.report.gradebook import NOT_GRADED_JSON, STATUS_JSON
from grading.util.io import write_json
from grading.util.text import cap

#: Statuses a ``status.json`` may hold.
FAILED = ("error", "timeout")
#: Longest message kept in a ``status.json``, in characters.
MESSAGE_LIMIT = 8000


@dataclass
class Outcome:
    """What happened to one submission in a batch.

    ``status`` is ``graded``, ``error``, ``timeout`` (a time limit stopped the
    grading or some of its checks: not a grade) or ``interrupted`` (the batch
    was stopped; nothing is recorded, the next run grades it).
    """

    student: str
    status: str
    seconds: float = 0.0
    message: str = ""
    score: float | None = None
    max_score: float | None = None
    attempts: int = 1


def write_status(
    folder: Path,
    student: str,
    status: str,
    message: str,
    seconds: float = 0.0,
    **extra: Any,
) -> Path:
    """Write ``folder/status.json`` atomically: a grading that did not complete.

    Parameters
    ----------
    folder : Path
        The student's result folder (``OUT/<student>`` or its staging copy).
    student : str
        Student id.
    status : {"error", "timeout"}
        What stopped the grading.
    message : str
        Why, in words (capped at :data:`MESSAGE_LIMIT` characters).
    seconds : float
        Wall time the grading took.
    **extra
        Further JSON fields (``attempts``).

    Returns
    -------
    Path
        The file written.
    """
    if status not in FAILED:
        raise ValueError(f"status.json records a failure, not {status!r}")
    data = {
        "student": student,
        "status": status,
        "message": cap(message, MESSAGE_LIMIT),
        "seconds": round(float(seconds), 2),
        **extra,
    }
    return write_json(Path(folder) / STATUS_JSON, data)


def write_not_graded(out: Path, rejected: list[Rejected]) -> Path | None:
    """Write ``OUT/not-graded.json`` (or remove it when nothing is rejected)."""
    path = Path(out) / NOT_GRADED_JSON
    if not rejected:
        path.unlink(missing_ok=True)
        return None
    return write_json(path, {"submissions": [asdict(r) for r in rejected]})


def is_done(out: Path, student: str) -> bool:
    """Return True if ``OUT/<student>`` holds a finished grading, not a failure."""
    folder = Path(out) / student
    return (folder / "results.json").is_file() and not (folder / STATUS_JSON).exists()


def has_failed(out: Path, student: str) -> bool:
    """Return True if ``OUT/<student>/status.json`` records a failure."""
    return (Path(out) / student / STATUS_JSON).is_file()
