"""The history reader's report, as dataclasses.

:func:`grading.history.analyze.analyze` returns a :class:`HistoryReport`;
:meth:`HistoryReport.to_dict` is the JSON that ``python -m grading history
--json`` prints and that ``results.json`` stores under
``checks.history.details`` (keys in ``docs/history-checks.md``).

Everything here that came from the repository (subjects, authors, paths) was
made safe to show when it was built: invisible characters escaped, lengths
capped (:func:`shown`), and long lists cut (:data:`MAX_ROWS`,
:data:`MAX_PATHS`) with the number left out recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grading.util.text import Normalized, cap, normalize

#: Characters of a subject, author or path kept in the report.
SHOWN_CHARS = 200
#: Student commits listed in the report (those with findings first).
MAX_ROWS = 500
#: Paths listed per repository finding.
MAX_PATHS = 200
#: Commits listed per repository finding.
MAX_REFS = 10


def normalized(text: str) -> Normalized:
    """:func:`grading.util.text.normalize`, skipped for printable ASCII.

    Printable ASCII is what nearly every subject and path is, and what
    ``normalize`` returns unchanged; skipping it keeps a history of 10,000
    commits or a commit of 20,000 files fast.
    """
    if text.isascii() and text.isprintable():
        return Normalized(text)
    return normalize(text)


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """Return ``text`` safe to show: invisible characters escaped, capped.

    A zero-width space becomes ``\\u200b`` and a right-to-left override
    ``\\u202e``, so that what a report shows is what the commit holds, and
    nothing reorders or hides the text around it.
    """
    if len(text) <= limit and text.isprintable():
        return text
    head = text[: limit * 2]
    if not head.isprintable():
        head = "".join(
            c if c.isprintable() or c == "\t" else f"\\u{ord(c):04x}" for c in head
        )
    if len(text) > limit * 2:
        head += "..."
    return cap(head, limit)


def quote(text: str, limit: int = SHOWN_CHARS) -> str:
    """Return ``text`` :func:`shown` between single quotes, for messages."""
    return f"'{shown(text, limit)}'"


@dataclass
class CommitRef:
    """A commit named in a finding: its sha and its (shown) subject."""

    sha: str
    subject: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"sha", "subject"}``."""
        return {"sha": self.sha, "subject": self.subject}


@dataclass
class Issue:
    """One broken rule on one commit.

    Parameters
    ----------
    code : str
        Finding code priced by the rubric (``generic_message``).
    message : str
        What is wrong, naming the commit's subject.
    hint : str
        What to do, with the git commands.
    how : str
        The specific advice alone, without the reword recipe (message rules).
    """

    code: str
    message: str
    hint: str
    how: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return ``{"code", "message", "hint"}`` (and ``"how"`` when set)."""
        out = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.how:
            out["how"] = self.how
        return out


@dataclass
class RepoIssue:
    """A finding about the repository: files, authors, limits.

    ``paths`` and ``commits`` are cut to :data:`MAX_PATHS` and
    :data:`MAX_REFS`; ``path_count`` is the number before the cut.
    """

    code: str
    message: str
    hint: str
    paths: list[str] = field(default_factory=list)
    commits: list[CommitRef] = field(default_factory=list)
    path_count: int = 0

    def __post_init__(self) -> None:
        self.path_count = max(self.path_count, len(self.paths))
        self.paths = [shown(p, 300) for p in self.paths[:MAX_PATHS]]
        self.commits = self.commits[:MAX_REFS]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "message", "hint", "paths", "commits", "path_count"}``."""
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "paths": list(self.paths),
            "commits": [c.to_dict() for c in self.commits],
            "path_count": self.path_count,
        }


@dataclass
class CommitRow:
    """One commit of the student with what the rules found on it."""

    sha: str
    subject: str
    author: str
    date: str
    merge: bool
    findings: list[Issue] = field(default_factory=list)

    @property
    def short(self) -> str:
        """The first 8 characters of the sha."""
        return self.sha[:8]

    def to_dict(self) -> dict[str, Any]:
        """Return the row as in the JSON report."""
        return {
            "sha": self.sha,
            "short": self.short,
            "subject": self.subject,
            "author": self.author,
            "date": self.date,
            "merge": self.merge,
            "findings": [i.to_dict() for i in self.findings],
        }


@dataclass
class IgnoredCommit:
    """A commit after the base that is not the student's, and why."""

    sha: str
    subject: str
    author: str
    why: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"sha", "subject", "author", "why"}``."""
        return {
            "sha": self.sha,
            "subject": self.subject,
            "author": self.author,
            "why": self.why,
        }


@dataclass
class Base:
    """Where the template ends, and whose convention the student follows.

    Parameters
    ----------
    sha : str or None
        The template's last commit, or None when every commit counts.
    method : str
        ``option``, ``fingerprint``, ``course``, ``template_copy``,
        ``heuristic`` or ``none``.
    explanation : str
        One sentence saying how the base was decided.
    notes : list of str
        Problems met on the way (an unknown ``--base``, a broken fingerprint).
    version : str
        Id of the template version the student started from, when the base
        tells (``grading/versions/templates.toml``), else ``""``.
    convention : str
        Id of the commit-message convention that applies
        (``[history.conventions.<id>]`` of the rubric).
    course_commits : int
        Commits of the original course found in the repository.
    fingerprint : dict or None
        The parsed ``.course/template.json``, when there is one (not output).
    """

    sha: str | None
    method: str
    explanation: str
    notes: list[str] = field(default_factory=list)
    version: str = ""
    convention: str = ""
    course_commits: int = 0
    fingerprint: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the base as in the JSON report (without the fingerprint)."""
        return {
            "sha": self.sha,
            "method": self.method,
            "explanation": self.explanation,
            "notes": list(self.notes),
            "version": self.version,
            "convention": self.convention,
            "course_commits": self.course_commits,
        }


@dataclass
class Deduction:
    """What one finding code cost (:func:`grading.history.scoring.apply_rule`)."""

    code: str
    count: int
    each: float
    cap: float
    share: float
    points: float

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "count", "each", "cap", "share", "points"}``."""
        return {
            "code": self.code,
            "count": self.count,
            "each": self.each,
            "cap": self.cap,
            "share": self.share,
            "points": self.points,
        }


@dataclass
class HistoryReport:
    """Everything the history reader found in one repository.

    ``status`` is ``ok``, ``shallow``, ``empty``, ``not_a_repository``,
    ``no_student_commits`` or ``too_large``; ``judged`` is ``full``,
    ``partial`` or ``none``; ``score`` is None when the item waits for a
    person. ``student_commits`` lists at most :data:`MAX_ROWS` rows (those
    with findings first); ``student_commit_count`` counts them all.
    """

    repository: str
    max_score: float
    rule: str
    status: str = "ok"
    head: str | None = None
    branch: str | None = None
    detached: bool = False
    shallow: bool = False
    judged: str = "full"
    cannot_judge: list[str] = field(default_factory=list)
    base: Base = field(default_factory=lambda: Base(None, "none", ""))
    commit_count: int = 0
    student_commits: list[CommitRow] = field(default_factory=list)
    student_commit_count: int = 0
    ignored_commits: list[IgnoredCommit] = field(default_factory=list)
    ignored_count: int = 0
    repo_findings: list[RepoIssue] = field(default_factory=list)
    score: float | None = None
    fraction: float | None = None
    deductions: list[Deduction] = field(default_factory=list)
    submodules: list[str] = field(default_factory=list)
    lfs_files: list[str] = field(default_factory=list)
    readme_rules: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def set_rows(self, rows: list[CommitRow]) -> None:
        """Keep ``rows`` (children first), at most :data:`MAX_ROWS` of them."""
        self.student_commit_count = len(rows)
        if len(rows) > MAX_ROWS:
            flagged = [r for r in rows if r.findings][:MAX_ROWS]
            clean = [r for r in rows if not r.findings][: MAX_ROWS - len(flagged)]
            keep = {id(r) for r in flagged + clean}
            rows = [r for r in rows if id(r) in keep]
        self.student_commits = rows

    def add_ignored(self, ignored: IgnoredCommit) -> None:
        """Record a commit that is not the student's (listing at most 200)."""
        self.ignored_count += 1
        if len(self.ignored_commits) < MAX_PATHS:
            self.ignored_commits.append(ignored)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON report (``docs/history-checks.md``)."""
        return {
            "repository": self.repository,
            "status": self.status,
            "head": self.head,
            "branch": self.branch,
            "detached": self.detached,
            "shallow": self.shallow,
            "judged": self.judged,
            "cannot_judge": list(self.cannot_judge),
            "base": self.base.to_dict(),
            "commit_count": self.commit_count,
            "student_commits": [r.to_dict() for r in self.student_commits],
            "student_commit_count": self.student_commit_count,
            "ignored_commits": [c.to_dict() for c in self.ignored_commits],
            "ignored_count": self.ignored_count,
            "repo_findings": [f.to_dict() for f in self.repo_findings],
            "score": self.score,
            "max_score": self.max_score,
            "fraction": self.fraction,
            "deductions": [d.to_dict() for d in self.deductions],
            "rule": self.rule,
            "submodules": list(self.submodules),
            "lfs_files": list(self.lfs_files),
            "readme_rules": [dict(r) for r in self.readme_rules],
            "seconds": self.seconds,
        }
