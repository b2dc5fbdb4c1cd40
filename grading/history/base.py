"""Decide which commits are the student's, and whose convention applies.

The base is the last commit of the template. In order of preference:

1. ``--base REV`` given by the instructor;
2. our template's fingerprint: the released template carries
   ``.course/template.json`` with the blob id of every file it shipped; the
   base is the newest commit whose tree holds exactly those files (GitHub's
   "use this template" and Classroom make a new first commit with another
   sha and author, so the sha of the release cannot be used directly);
3. the original course's history: the newest commit of the original course
   (listed in ``grading/versions/course_history/``) on the first-parent chain
   (:mod:`grading.history.course`);
4. a "use this template" copy of a course version: the newest commit whose
   tree is that version's tree;
5. heuristics: the leading commits made by the course (bots, the authors
   listed in the rubric, the course's own commit areas), else the first
   commit;
6. none: every commit counts.

Student commits are those reachable from ``HEAD`` but not from the base,
minus commits of bots (GitHub Classroom's own commits) and minus the course's
later work merged in from the original (see :mod:`grading.history.course`).
The convention is that of the template version the base shows (``history``
of the version in ``templates.toml``), else the rubric's default.
"""

from __future__ import annotations

import functools
import json
import re

import git

from grading.history import gitdata
from grading.history.config import Convention, convention
from grading.history.course import Catalogue, Origin, course_origin, template_copy
from grading.history.gitdata import NULL_SHA, Commit
from grading.history.report import Base, normalized, quote

FINGERPRINT_PATH = ".course/template.json"
#: Largest fingerprint file read.
FINGERPRINT_MAX_BYTES = 1024 * 1024


def load_fingerprint(content: bytes) -> tuple[dict | None, str]:
    """Parse ``.course/template.json``; return ``(data, problem)``."""
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{FINGERPRINT_PATH} is not valid JSON ({exc})"
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not files:
        return None, f"{FINGERPRINT_PATH} has no 'files' table"
    if not all(
        isinstance(k, str)
        and isinstance(v, str)
        and re.fullmatch(r"[0-9a-f]{40,64}", v)
        for k, v in files.items()
    ):
        return None, f"{FINGERPRINT_PATH}: 'files' must map paths to blob ids"
    return data, ""


def fingerprint_blob(commits: list[Commit]) -> str | None:
    """Return the blob id of the newest version of the fingerprint file."""
    for commit in commits:
        for change in commit.changes:
            if change.path == FINGERPRINT_PATH and change.new_sha != NULL_SHA:
                return change.new_sha
    return None


def match_fingerprint(
    commits: list[Commit], files: dict[str, str], ignore_prefixes: list[str]
) -> tuple[str | None, str]:
    """Find the template commit by its recorded files.

    Parameters
    ----------
    commits : list of Commit
        From :func:`grading.history.gitdata.read_log` (children first).
    files : dict
        Path to blob id, from the fingerprint.
    ignore_prefixes : list of str
        Paths that platforms add on their own (``.github/``); extra files
        there do not break an exact match.

    Returns
    -------
    tuple
        ``(sha, kind)`` where ``kind`` is ``"exact"`` (the newest commit whose
        tree is exactly the template), ``"recorded"`` (the oldest commit that
        holds every recorded file, with extra files) or ``""`` (no match).
    """
    state: dict[str, tuple[int, int]] = {}
    total = len(files)
    for commit in reversed(commits):
        parent = commit.parents[0] if commit.parents else None
        mismatched, extra = state.get(parent, (total, 0))
        for change in commit.changes:
            path = change.path
            if path == FINGERPRINT_PATH:
                continue
            want = files.get(path)
            if want is not None:
                mismatched += (change.old_sha == want) - (change.new_sha == want)
            elif not any(path.startswith(p) for p in ignore_prefixes):
                if change.old_sha == NULL_SHA and change.new_sha != NULL_SHA:
                    extra += 1
                elif change.new_sha == NULL_SHA and change.old_sha != NULL_SHA:
                    extra -= 1
        state[commit.sha] = (mismatched, extra)
    for commit in commits:
        if state[commit.sha] == (0, 0):
            return commit.sha, "exact"
    for commit in reversed(commits):
        if state[commit.sha][0] == 0:
            return commit.sha, "recorded"
    return None, ""


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


def is_bot(commit: Commit, patterns: list[str]) -> bool:
    """True if the author name or e-mail matches one of ``patterns``."""
    who = f"{commit.author[:300]} <{commit.email[:300]}>"
    return any(p.search(who) for p in _compiled(tuple(patterns)))


def first_parent_chain(commits: list[Commit]) -> list[Commit]:
    """Return the first-parent chain from ``HEAD`` down to its root."""
    by_sha = {c.sha: c for c in commits}
    chain: list[Commit] = []
    current = commits[0] if commits else None
    seen: set[str] = set()
    while current is not None and current.sha not in seen:
        seen.add(current.sha)
        chain.append(current)
        current = by_sha.get(current.parents[0]) if current.parents else None
    return chain


def heuristic_base(
    commits: list[Commit], config: dict, conv: Convention, shallow: bool
) -> tuple[str | None, str]:
    """Guess the base from authorship, commit areas and the first commit."""
    chain = first_parent_chain(commits)
    if len(chain) < 2:
        return None, ""
    bots = config.get("bot_authors", [])
    authors = [a.lower() for a in config.get("template_authors", [])]
    areas = set(config.get("template_areas", []))
    pattern = conv.pattern
    newest_student = next((c for c in chain if not is_bot(c, bots)), None)

    def looks_like_course(commit: Commit) -> bool:
        if is_bot(commit, bots):
            return True
        if commit.email.lower() in authors or commit.author.lower() in authors:
            return True
        m = pattern.match(normalized(commit.subject[:1000]).text)
        return bool(
            m
            and m.groupdict().get("area") in areas
            and newest_student is not None
            and commit.email.lower() != newest_student.email.lower()
        )

    base = None
    for commit in reversed(chain):  # from the root up
        if not looks_like_course(commit):
            break
        base = commit
    if base is not None and base is not chain[0]:
        return base.sha, (
            "the first commits come from the course (bots, the "
            "template's authors or its commit areas)"
        )
    if shallow:
        return None, ""
    root = chain[-1]
    m = pattern.match(normalized(root.subject[:1000]).text)
    own_area = m and m.groupdict().get("area") not in areas
    if not own_area:
        return root.sha, (
            "the first commit is taken as the template "
            f"({root.sha[:8]} {quote(root.subject)})"
        )
    return None, ""


def ancestors(commits: list[Commit], sha: str) -> set[str]:
    """Return ``sha`` and every commit reachable from it within ``commits``."""
    by_sha = {c.sha: c for c in commits}
    seen: set[str] = set()
    stack = [sha]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        commit = by_sha.get(current)
        if commit is not None:
            stack.extend(commit.parents)
    return seen


def _read_fingerprint(
    repo: git.Repo, commits: list[Commit], notes: list[str]
) -> dict | None:
    blob = fingerprint_blob(commits)
    if not blob:
        return None
    content = gitdata.read_blobs(repo, [blob], FINGERPRINT_MAX_BYTES).get(blob)
    if content is None:
        notes.append(f"{FINGERPRINT_PATH} is larger than 1 MB; not read")
        return None
    fingerprint, problem = load_fingerprint(content)
    if problem:
        notes.append(problem)
    return fingerprint


def _option_base(
    repo: git.Repo, commits: list[Commit], base_rev: str, head: str, notes: list[str]
) -> str | None:
    sha = gitdata.resolve(repo, base_rev)
    if sha is None:
        notes.append(
            f"--base {base_rev!r} is not a commit of this repository; "
            "deciding the base automatically instead"
        )
        return None
    if sha not in {c.sha for c in commits}:
        try:
            sha = repo.git.merge_base(sha, head).strip()
            notes.append(
                f"--base {base_rev!r} is not in the history of HEAD; "
                f"using the common ancestor {sha[:8]}"
            )
        except git.GitCommandError:
            notes.append(f"--base {base_rev!r} shares no history with HEAD")
            return None
    return sha or None


def _fingerprint_base(
    commits: list[Commit], fingerprint: dict, cfg: dict, shallow: bool
) -> tuple[str | None, str]:
    sha, kind = match_fingerprint(
        commits, fingerprint["files"], cfg.get("platform_paths", [])
    )
    if sha and kind == "recorded" and shallow:
        # A cut-off commit lists every file as added: "holds all the
        # template's files" says nothing about where the template ends.
        return None, ""
    if not sha:
        return None, ""
    how = (
        "the newest commit whose files are exactly the template's"
        if kind == "exact"
        else "the first commit holding every template file unchanged"
    )
    version = fingerprint.get("template_version", "?")
    return sha, (f"template fingerprint {FINGERPRINT_PATH} (version {version}): {how}")


def decide_base(
    repo: git.Repo,
    commits: list[Commit],
    cfg: dict,
    catalogue: Catalogue,
    base_rev: str | None,
    shallow: bool,
) -> tuple[Base, Origin | None]:
    """Decide the base, the template version and the convention.

    Parameters
    ----------
    repo : git.Repo
        The student's repository.
    commits : list of Commit
        Every commit reachable from ``HEAD``, children first.
    cfg : dict
        The ``[history]`` section.
    catalogue : Catalogue
        Template versions and the commits of the original course.
    base_rev : str or None
        ``--base`` when the instructor gives it.
    shallow : bool
        The clone is shallow.

    Returns
    -------
    tuple
        ``(base, origin)``: origin is the original course found in the
        repository, or None.
    """
    notes: list[str] = []
    chain = first_parent_chain(commits)
    fingerprint = _read_fingerprint(repo, commits, notes)
    origin = course_origin(commits, chain, catalogue, lambda s: ancestors(commits, s))
    copy = None if origin else template_copy(chain, catalogue)
    ours = catalogue.ours()
    if origin is not None:
        version = origin.version
    elif copy is not None:
        version = copy[1]
    else:
        version = ours if fingerprint is not None else None
    conv_id = version.history if version else cfg["default_convention"]
    conv = convention(cfg, conv_id)

    def made(sha: str | None, method: str, why: str) -> tuple[Base, Origin | None]:
        base = Base(sha, method, why, notes, version.id if version else "", conv.id)
        base.fingerprint = fingerprint
        base.course_commits = len(origin.present) if origin else 0
        return base, origin

    if base_rev:
        sha = _option_base(repo, commits, base_rev, commits[0].sha, notes)
        if sha:
            return made(sha, "option", f"given with --base {base_rev}")
    if fingerprint is not None:
        sha, why = _fingerprint_base(commits, fingerprint, cfg, shallow)
        if sha:
            return made(sha, "fingerprint", why)
        notes.append(
            "no commit matches the template fingerprint (rebased or squashed "
            "history?); falling back to the course's history and heuristics"
        )
    if origin is not None:
        fork = origin.fork
        named = f" (template version {version.id})" if version else ""
        return made(
            fork.sha,
            "course",
            f"the newest commit of the original course{named} in this history: "
            f"{fork.sha[:8]} of {fork.date[:10]}; the {len(origin.present)} "
            "commits of the original course are not yours",
        )
    if copy is not None:
        return made(
            copy[0].sha,
            "template_copy",
            f"commit {copy[0].sha[:8]} has exactly the files of template version "
            f"{copy[1].id} (a copy made with GitHub's 'use this template')",
        )
    sha, why = heuristic_base(commits, cfg, conv, shallow)
    if sha:
        return made(sha, "heuristic", why)
    why = "no base found: every commit counts as the student's"
    if shallow:
        why = "no base found in this shallow clone: every visible commit counts"
    return made(None, "none", why)
