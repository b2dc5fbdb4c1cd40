"""Analyse one repository: pick the student's commits, apply the rules, score.

:func:`analyze` returns a :class:`grading.history.report.HistoryReport`;
its ``to_dict()`` is what ``python -m grading history --json`` prints and
what the ``history`` check stores as its details.
"""

from __future__ import annotations

import time
from pathlib import Path

import git

from grading.history import gitdata, junk, scoring
from grading.history.base import ancestors, decide_base, is_bot
from grading.history.bounded import Limits, TooLarge
from grading.history.config import HistoryConfigError, convention, load_config
from grading.history.course import Catalogue, Origin, upstream_why
from grading.history.gitdata import NULL_SHA, Change, Commit, NotARepository
from grading.history.messages import message_issues
from grading.history.report import (
    Base,
    CommitRow,
    HistoryReport,
    IgnoredCommit,
    Issue,
    RepoIssue,
    shown,
)
from grading.history.rules import author_issues, shape_issues

__all__ = ["HistoryConfigError", "analyze", "load_config"]

FETCH_HINT = (
    "The clone is shallow (GitHub Actions clones only the last commit by "
    "default). Fetch the whole history: in the workflow use "
    "`actions/checkout` with `fetch-depth: 0`; locally run `git fetch --unshallow`."
)
SHALLOW_CANNOT = [
    "which commits are the student's, when the template commit is not in the clone",
    "the shape of the history (one giant commit, code and summary together, merges)",
    "which commit added each committed file",
    FETCH_HINT,
]


def analyze(
    path: str | Path,
    cfg: dict,
    max_points: float,
    base_rev: str | None = None,
    catalogue: Catalogue | None = None,
) -> HistoryReport:
    """Analyse the git history of a submission.

    Parameters
    ----------
    path : str or Path
        Top folder of the student's repository.
    cfg : dict
        ``[history]`` section from :func:`load_config`.
    max_points : float
        Points of the history item.
    base_rev : str, optional
        The template's last commit, when the instructor knows it.
    catalogue : Catalogue, optional
        Template versions and commits of the original course (default:
        ``grading/versions/``).

    Returns
    -------
    HistoryReport
        Status, base, the student's commits with their findings, repository
        findings, score and deductions (``to_dict()`` for JSON).
    """
    started = time.perf_counter()
    report = HistoryReport(
        repository=str(path),
        max_score=float(max_points),
        rule=" ".join(str(cfg["rule"]).split()),
    )
    limits = Limits.from_config(cfg)
    try:
        repo = gitdata.open_repo(Path(path), limits)
    except NotARepository:
        report.status, report.judged = "not_a_repository", "none"
        report.cannot_judge.append(
            f"{path} is not the top folder of a git repository (no .git), so "
            "there is no history to judge. Submit the repository itself (a git "
            "clone), not a copy or an archive of its files."
        )
        return report
    with repo:
        try:
            _analyze_repo(repo, report, cfg, base_rev, catalogue, limits)
        except TooLarge as exc:
            _refuse(report, exc)
    report.seconds = round(time.perf_counter() - started, 4)
    return report


def _analyze_repo(
    repo: git.Repo,
    report: HistoryReport,
    cfg: dict,
    base_rev: str | None,
    catalogue: Catalogue | None,
    limits: Limits,
) -> None:
    info = gitdata.head_info(repo)
    head, shallow = info["head"], info["shallow"]
    report.head, report.branch, report.shallow = head, info["branch"], shallow
    report.detached = bool(head) and info["branch"] is None
    if not head:
        report.status, report.score, report.fraction = "empty", 0.0, 0.0
        report.repo_findings.append(
            RepoIssue(
                "no_commits",
                "The repository has no commits.",
                "Commit your work (`git add <paths>`, `git commit -m "
                '"<area>: <Summary>"`) and push it.',
            )
        )
        return
    commits = gitdata.read_log(repo, head, limits)
    report.commit_count = len(commits)
    base, origin = decide_base(
        repo, commits, cfg, catalogue or Catalogue.load(), base_rev, shallow
    )
    report.base = base
    own = _student_commits(commits, base, origin, cfg, report)
    head_tree = gitdata.ls_tree(repo, head, limits)
    if shallow:
        report.judged = "partial"
        report.cannot_judge += SHALLOW_CANNOT
        source = [_shallow_view(repo, base, head_tree, limits)]
    else:
        source = own
    found, junk_paths = _committed_files(repo, report, source, head_tree, cfg, base)
    shape = {} if shallow else shape_issues(own, cfg, junk_paths)
    boundary = _shallow_boundary(repo) if shallow else set()
    conv = convention(cfg, base.convention)
    rows, codes = [], []
    for commit in own:
        issues = (
            []
            if commit.is_merge
            else message_issues(commit, cfg, conv, limits.message_chars)
        )
        issues += shape.get(commit.sha, [])
        if commit.sha in boundary:
            issues.append(
                Issue(
                    "cut_off",
                    "The parents of this commit are not in the clone (shallow).",
                    FETCH_HINT,
                )
            )
        codes += [i.code for i in issues]
        rows.append(_row(commit, issues))
    report.set_rows(rows)
    report.repo_findings = found + author_issues(own, cfg)
    codes += [f.code for f in report.repo_findings]
    report.submodules = sorted(
        shown(e.path) for e in head_tree.values() if e.mode == gitdata.SUBMODULE_MODE
    )[:200]
    _conclude(report, own, codes, cfg)


def _row(commit: Commit, issues: list[Issue]) -> CommitRow:
    return CommitRow(
        sha=commit.sha,
        subject=shown(commit.subject),
        author=shown(f"{commit.author} <{commit.email}>"),
        date=commit.date[:40],
        merge=commit.is_merge,
        findings=issues,
    )


def _student_commits(
    commits: list[Commit],
    base: Base,
    origin: Origin | None,
    cfg: dict,
    report: HistoryReport,
) -> list[Commit]:
    """Return the student's commits (children first); record the others."""
    template = ancestors(commits, base.sha) if base.sha else set()
    if origin is not None:
        template |= origin.present
    bots = cfg.get("bot_authors", [])
    own: list[Commit] = []
    ignored: list[IgnoredCommit] = []
    for commit in reversed(commits):  # parents before children
        if commit.sha in template:
            continue
        why = ""
        if is_bot(commit, bots):
            why = "made by a bot, not by the student"
        elif origin is not None:
            why = upstream_why(commit, origin, template)
            if why:
                template.add(commit.sha)
        if why:
            ignored.append(
                IgnoredCommit(
                    commit.sha,
                    shown(commit.subject),
                    shown(f"{commit.author} <{commit.email}>"),
                    why,
                )
            )
            continue
        own.append(commit)
    for item in reversed(ignored):
        report.add_ignored(item)
    own.reverse()
    return own


def _shallow_view(
    repo: git.Repo, base: Base, head_tree: dict, limits: Limits
) -> Commit:
    """One pseudo commit adding every file of ``HEAD`` that is not the template's.

    The cut-off commits of a shallow clone show every file as added, so the
    commit that added a file is unknown; junk at ``HEAD`` is still visible.
    """
    fp_files = (base.fingerprint or {}).get("files", {})
    base_paths = set(gitdata.ls_tree(repo, base.sha, limits)) if base.sha else set()
    pseudo = Commit(
        sha="unknown",
        parents=[],
        author="",
        email="",
        date="",
        message="(not in this shallow clone)",
    )
    pseudo.changes = [
        Change(
            path=e.path, status="A", old_sha=NULL_SHA, new_sha=e.sha, new_mode=e.mode
        )
        for e in head_tree.values()
        if e.kind == "blob"
        and fp_files.get(e.path) != e.sha
        and e.path not in base_paths
    ]
    return pseudo


def _committed_files(
    repo: git.Repo,
    report: HistoryReport,
    source: list[Commit],
    head_tree: dict,
    cfg: dict,
    base: Base,
) -> tuple[list[RepoIssue], set[str]]:
    """Junk, models and large files added by ``source``; LFS files noted."""
    added = [
        ch
        for c in source
        for ch in c.changes
        if ch.new_sha != NULL_SHA and ch.status in ("A", "T")
    ]
    sizes = gitdata.blob_sizes(repo, [ch.new_sha for ch in added])
    lfs = junk.lfs_blobs(repo, added, sizes, cfg)
    extra = junk.readme_rules(repo, base.sha or report.head or "HEAD", cfg)
    report.readme_rules = extra
    report.lfs_files = sorted(shown(ch.path) for ch in added if ch.new_sha in lfs)[:200]
    return junk.junk_issues(source, set(head_tree), cfg, sizes, lfs, extra)


def _shallow_boundary(repo: git.Repo) -> set[str]:
    """Commits whose parents were cut off by a shallow clone."""
    try:
        text = (Path(repo.git_dir) / "shallow").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def _conclude(
    report: HistoryReport, own: list[Commit], codes: list[str], cfg: dict
) -> None:
    """Set the status and the score from the student's commits and the codes."""
    if not own and report.shallow:
        report.status = "shallow"
        report.cannot_judge.insert(
            0, "whether you made commits at all: none is visible in this clone"
        )
        return
    if not own:
        report.status, report.score, report.fraction = "no_student_commits", 0.0, 0.0
        report.repo_findings.append(
            RepoIssue(
                "no_student_commits",
                "There are no commits of yours after the template "
                f"({report.base.explanation}).",
                "Commit your work in small steps and push it. If your work is "
                "there, tell the instructor: the base may be wrong (they can "
                "grade with --base).",
            )
        )
        return
    # The shares need every commit of the student: unknown in a shallow clone.
    plain = 0 if report.shallow else sum(1 for c in own if not c.is_merge)
    points, report.deductions = scoring.apply_rule(codes, cfg, report.max_score, plain)
    report.score = points
    report.fraction = points / report.max_score if report.max_score else 0.0
    if report.shallow:
        report.status = "shallow"


def _refuse(report: HistoryReport, exc: TooLarge) -> None:
    """Refuse a history over a reading limit; the item waits for a person."""
    report.status, report.judged = "too_large", "none"
    report.score = report.fraction = None
    report.student_commits, report.deductions = [], []
    sentence = f"The grader did not read this history: {exc}."
    report.cannot_judge = [sentence]
    report.repo_findings = [
        RepoIssue(
            "too_large",
            sentence,
            "The instructor grades this item by hand. If this is not on purpose, "
            "remove what makes the repository so large (generated files, a "
            "history imported from elsewhere) and push again.",
        )
    ]
