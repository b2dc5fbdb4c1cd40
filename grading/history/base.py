"""Decide which commits are the student's.

The base is the last commit of the template. In order of preference:

1. ``--base REV`` given by the instructor;
2. the template fingerprint: the released template carries
   ``.course/template.json`` with the blob id of every file it shipped; the
   base is the newest commit whose tree holds exactly those files (GitHub's
   "use this template" and Classroom make a new first commit with another
   sha and author, so the sha of the release cannot be used directly);
3. heuristics: the leading commits made by the course (bots, the authors
   listed in the rubric, the course's own commit areas), else the first
   commit;
4. none: every commit counts.

Student commits are those reachable from ``HEAD`` but not from the base,
minus commits of bots (GitHub Classroom's own commits).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from grading.history.gitdata import NULL_SHA, Commit

FINGERPRINT_PATH = ".course/template.json"


@dataclass
class Base:
    """Where the template ends.

    Parameters
    ----------
    sha : str or None
        The template's last commit, or None when every commit counts.
    method : str
        ``option``, ``fingerprint``, ``heuristic`` or ``none``.
    explanation : str
        One sentence saying how the base was decided.
    notes : list of str
        Problems met on the way (an unknown ``--base``, a broken fingerprint).
    """

    sha: str | None
    method: str
    explanation: str
    notes: list[str] = field(default_factory=list)
    fingerprint: dict | None = None


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


def is_bot(commit: Commit, patterns: list[str]) -> bool:
    """True if the author name or e-mail matches one of ``patterns``."""
    who = f"{commit.author} <{commit.email}>"
    return any(re.search(p, who, re.I) for p in patterns)


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
    commits: list[Commit], config: dict, shallow: bool
) -> tuple[str | None, str]:
    """Guess the base from authorship, commit areas and the first commit."""
    chain = first_parent_chain(commits)
    if len(chain) < 2:
        return None, ""
    bots = config.get("bot_authors", [])
    authors = [a.lower() for a in config.get("template_authors", [])]
    areas = set(config.get("template_areas", []))
    convention = re.compile(config["convention"])
    newest_student = next((c for c in chain if not is_bot(c, bots)), None)

    def looks_like_course(commit: Commit) -> bool:
        if is_bot(commit, bots):
            return True
        if commit.email.lower() in authors or commit.author.lower() in authors:
            return True
        m = convention.match(commit.subject)
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
    m = convention.match(root.subject)
    own_area = m and m.groupdict().get("area") not in areas
    if not own_area:
        return root.sha, (
            "the first commit is taken as the template "
            f"({root.sha[:8]} {root.subject!r})"
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
