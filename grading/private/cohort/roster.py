"""The submissions of a batch: a folder of clones, a roster CSV or a plan.

A student id becomes a folder name under ``OUT/`` and an argument of git and
``grade``, so only ids that are safe as all three are graded. Any other name
(``-2+3``, a space, a letter outside ASCII, a leading dot, the name of one
of the batch's own files) is not an error of the batch: it comes back as a
:class:`Rejected` entry with the reason, which the gradebook lists as not
graded, and the rest of the class is graded. A rejected name is never passed
to git or to ``grade``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grading.report.format import displayable
from grading.report.gradebook import (
    GRADEBOOK_CSV,
    INDEX_HTML,
    NOT_GRADED_JSON,
    RESERVED_DIRS,
)
from grading.util.io import write_json
from grading.util.text import cap

PLAN_NAME = "batch-plan.json"
#: Longest student id, in characters.
MAX_ID = 100
#: Names under ``OUT/`` that belong to the batch, never to a student.
RESERVED_IDS = frozenset({*RESERVED_DIRS, GRADEBOOK_CSV, INDEX_HTML, PLAN_NAME})
RESERVED_IDS |= {NOT_GRADED_JSON}
#: Folders of a folder of clones that are not students (it may be a repository).
IGNORED_FOLDERS = frozenset({".git"})
#: What a usable id looks like, said in the reason of a rejected one.
ID_RULE = (
    "letters, digits and . _ @ + - only, starting with a letter or a digit, "
    f"at most {MAX_ID} characters"
)

_STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_URL_RE = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.IGNORECASE)
_STUDENT_COLUMNS = (
    "student",
    "student_id",
    "id",
    "login",
    "github_username",
    "username",
    "user",
)
_REPO_COLUMNS = (
    "repository",
    "repo",
    "path",
    "url",
    "repository_url",
    "clone_url",
    "submission",
)
_DEADLINE_COLUMNS = ("deadline", "commit", "deadline_commit", "revision", "rev")


class BatchError(ValueError):
    """The batch input is unusable; the message names the file and the fix."""


@dataclass
class Submission:
    """One student's submission.

    Parameters
    ----------
    student : str
        Student id, used as the folder name of the results.
    source : str
        Local path (a git clone or a plain folder) or a git URL.
    deadline : str
        ``""`` for the current HEAD, an ISO 8601 date-time (the last commit
        before it is graded) or a git revision (a commit sha, a tag).
    """

    student: str
    source: str
    deadline: str = ""


@dataclass
class Rejected:
    """A submission the batch does not grade, and why.

    Parameters
    ----------
    student : str
        The name as given, made printable (undecodable bytes replaced) and
        capped; it is shown, never used as a path or an argument.
    source : str
        Where it was found (the folder, or the roster file and line).
    message : str
        Why it is not graded and how to fix that.
    """

    student: str
    source: str
    message: str


@dataclass
class Roster:
    """The submissions of a batch: those to grade and those it cannot grade."""

    submissions: list[Submission] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def is_url(source: str) -> bool:
    """Return True if ``source`` looks like a git URL rather than a path."""
    return bool(_URL_RE.match(source))


def printable(name: str, limit: int = 200) -> str:
    """Return ``name`` with undecodable bytes replaced, capped for reports."""
    return cap(displayable(name), limit)


def id_problem(student: str) -> str:
    """Return why ``student`` cannot be a student id of a batch, or ``""``.

    Parameters
    ----------
    student : str
        A folder name or a roster's student cell.

    Returns
    -------
    str
        ``""`` for a usable id; otherwise the reason, in words.
    """
    if not student:
        return "the student id is empty"
    if student.startswith("."):
        return "it starts with a dot (a hidden name)"
    if student.startswith("-"):
        return "it starts with a dash, which git and grade would read as an option"
    if len(student) > MAX_ID:
        return f"it is longer than {MAX_ID} characters"
    if any(c.isspace() for c in student):
        return "it contains a space or another blank character"
    if not student.isascii():
        return "it contains characters outside ASCII"
    if not _STUDENT_RE.match(student):
        return "it contains characters other than letters, digits and . _ @ + -"
    if student in RESERVED_IDS:
        return f"{student!r} is the name of one of the batch's own files"
    return ""


def _rejected(name: str, where: str, problem: str, fix: str) -> Rejected:
    shown = printable(name)
    message = f"the id {shown!r} is not usable: {problem}; {fix}"
    return Rejected(shown, printable(where, 2000), message)


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower().replace(" ", "_") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _roster_rows(path: Path) -> tuple[list[tuple[int, list[str]]], tuple]:
    """Return the data rows of a roster and the (student, repo, deadline) columns."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the roster: {exc}") from exc
    rows = [
        (n, row)
        for n, row in enumerate(csv.reader(text.splitlines()), 1)
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise BatchError(f"{path}: the roster is empty")
    header = rows[0][1]
    columns = tuple(
        _pick(header, names)
        for names in (_STUDENT_COLUMNS, _REPO_COLUMNS, _DEADLINE_COLUMNS)
    )
    if columns[0] is not None and columns[1] is not None:
        return rows[1:], columns
    return rows, (0, 1, 2)


def read_roster(path: Path) -> Roster:
    """Read a roster CSV: student id, repository path or URL, optional deadline.

    Parameters
    ----------
    path : Path
        CSV file. With a header row, columns are found by name (``student``,
        ``repository``/``path``/``url``, ``deadline``/``commit``); without
        one, the first three columns are taken in that order. Relative paths
        are relative to the CSV's folder. Empty lines and lines starting with
        ``#`` are skipped.

    Returns
    -------
    Roster
        A row whose student id is not usable is rejected (with the reason),
        not an error.

    Raises
    ------
    BatchError
        If the file cannot be read, or on a row without a student or a
        repository, or a student listed twice.
    """
    rows, columns = _roster_rows(path)
    roster = Roster()
    seen: set[str] = set()
    for number, row in rows:
        where = f"{path}, line {number}"
        student, source, deadline = (_cell(row, c) for c in columns)
        if not student or not source:
            raise BatchError(
                f"{where}: needs a student id and a repository path or URL"
            )
        if student in seen:
            raise BatchError(f"{where}: student {student!r} is listed twice")
        seen.add(student)
        problem = id_problem(student)
        if problem:
            fix = f"give the roster a student id of {ID_RULE}"
            roster.rejected.append(_rejected(student, where, problem, fix))
            continue
        if not is_url(source):
            source = str((path.parent / Path(source).expanduser()).resolve())
        roster.submissions.append(Submission(student, source, deadline))
    return roster


def _read_folder(path: Path) -> Roster:
    """Read a folder of clones: one sub-folder per student, named by id."""
    roster = Roster()
    for child in sorted(path.iterdir()):
        if not child.is_dir() or child.name in IGNORED_FOLDERS:
            continue
        problem = id_problem(child.name)
        if problem:
            fix = (
                f"rename the folder ({ID_RULE}), or grade it through a roster "
                "CSV that gives it a usable student id"
            )
            roster.rejected.append(_rejected(child.name, str(child), problem, fix))
            continue
        roster.submissions.append(Submission(child.name, str(child.resolve())))
    if not roster.submissions and not roster.rejected:
        raise BatchError(f"{path} has no sub-folders; put one clone per student in it")
    return roster


def read_plan(path: Path) -> Roster:
    """Read ``batch-plan.json`` written by :func:`write_plan`.

    Raises
    ------
    BatchError
        If it is not a plan, or names a student id that is not usable (a plan
        edited by hand): task indices must stay those of the plan, so such a
        plan is refused as a whole.
    """
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        subs = [Submission(**entry) for entry in plan["submissions"]]
        rejected = [Rejected(**entry) for entry in plan.get("rejected", [])]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BatchError(f"{path}: not a batch plan: {exc}") from exc
    for sub in subs:
        problem = id_problem(sub.student)
        if problem:
            raise BatchError(
                f"{path}: student id {printable(sub.student)!r} is not usable: "
                f"{problem}; write the plan again with 'batch SUBMISSIONS'"
            )
    return Roster(subs, rejected)


def load_submissions(path: Path) -> Roster:
    """Read the submissions of a batch from a folder, a roster CSV or a plan.

    Parameters
    ----------
    path : Path
        A folder whose sub-folders are the students' clones (named by student
        id), a roster CSV (see :func:`read_roster`), or a ``batch-plan.json``
        written by an earlier batch.

    Returns
    -------
    Roster
        Submissions sorted by student id for a folder, in file order
        otherwise; and the entries not graded, with the reason.
    """
    path = Path(path)
    if not path.exists():
        raise BatchError(
            f"{path} does not exist; give a folder of clones or a roster CSV"
        )
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() == ".json":
        return read_plan(path)
    return read_roster(path)


def write_plan(
    subs: list[Submission],
    out: Path,
    rejected: list[Rejected] | None = None,
    **extra: Any,
) -> Path:
    """Write ``OUT/batch-plan.json`` (the submissions and options) atomically."""
    data = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
        "submissions": [asdict(s) for s in subs],
        "rejected": [asdict(r) for r in rejected or []],
    }
    path = out / PLAN_NAME
    write_json(path, data)
    return path
