"""Shape and author rules of the history check.

Every rule returns :class:`grading.history.report.Issue` (per commit) or
:class:`grading.history.report.RepoIssue` (per repository); the scoring rule
in the lab's TOML decides what each code costs. All limits come from the
``[history]`` section of the rubric. Message rules are in
:mod:`grading.history.messages`, committed files in :mod:`grading.history.junk`.
"""

from __future__ import annotations

import re
from collections import defaultdict

from grading.history.gitdata import Change, Commit
from grading.history.report import CommitRef, Issue, RepoIssue, normalized, shown


def ref(commit: Commit) -> CommitRef:
    """Return the commit as named in a finding (sha and shown subject)."""
    return CommitRef(commit.sha, shown(commit.subject))


def _kind(path: str, cfg: dict) -> str:
    """Return ``"summary"``, ``"code"`` or ``""`` for a changed path."""
    if any(path.startswith(p) for p in cfg.get("summary_paths", [])):
        return "summary"
    if path.endswith(".py") or any(
        path.startswith(p) for p in cfg.get("code_paths", [])
    ):
        return "code"
    return ""


def _lines(change: Change) -> int:
    return (change.added or 0) + (change.deleted or 0)


def shape_issues(
    own: list[Commit], cfg: dict, junk_paths: set[str]
) -> dict[str, list[Issue]]:
    """Find giant and mixed commits, all the code in one commit, merge noise.

    Parameters
    ----------
    own : list of Commit
        The student's commits, children first.
    cfg : dict
        The ``[history]`` section.
    junk_paths : set of str
        Paths reported as junk; their lines do not count for the size of a
        commit.

    Returns
    -------
    dict
        Issues by commit sha.
    """
    out: dict[str, list[Issue]] = defaultdict(list)
    plain = [c for c in own if not c.is_merge]
    lines: dict[str, int] = {}
    code: dict[str, int] = {}
    kinds: dict[str, set[str]] = {}
    kind_of: dict[str, str] = {}
    for c in plain:
        for ch in c.changes:
            if ch.path not in kind_of:
                kind_of[ch.path] = _kind(ch.path, cfg)
        counted = [ch for ch in c.changes if ch.path not in junk_paths]
        lines[c.sha] = sum(_lines(ch) for ch in counted)
        code[c.sha] = sum(_lines(ch) for ch in counted if kind_of[ch.path] == "code")
        kinds[c.sha] = {kind_of[ch.path] for ch in c.changes} - {""}
    total, code_total = sum(lines.values()), sum(code.values())
    share = float(cfg["giant_share"])
    min_lines = int(cfg["giant_min_lines"])
    giant = set()
    for commit in plain:
        both = kinds[commit.sha] == {"code", "summary"}
        if total >= min_lines and (
            len(plain) == 1 or (both and lines[commit.sha] >= share * total)
        ):
            giant.add(commit.sha)
            out[commit.sha].append(_giant(commit, lines[commit.sha], total, both))
        elif both:
            out[commit.sha].append(
                Issue(
                    "mixed_code_summary",
                    "This commit changes both code and the summary.",
                    "Commit the code and the summary separately; "
                    "`git add -p` or `git add <paths>` stages just one of them.",
                )
            )
    if plain and code_total >= min_lines:
        top = max(plain, key=lambda c: code[c.sha])
        code_share = float(cfg.get("code_share", share))
        if top.sha not in giant and code[top.sha] >= code_share * code_total:
            out[top.sha].append(
                Issue(
                    "code_in_one_commit",
                    f"This commit carries {code[top.sha]} of the {code_total} "
                    "changed lines of your code: the steps of the work do not show.",
                    "Commit each class or task when it works (one commit per "
                    "task). To split this one: `git rebase -i "
                    f"{top.sha[:8]}^`, mark it `edit`, `git reset HEAD^`, then "
                    "add and commit the parts one by one and `git rebase --continue`.",
                )
            )
    _merge_noise(own, cfg, out)
    return out


def _giant(commit: Commit, lines: int, total: int, both: bool) -> Issue:
    return Issue(
        "giant_commit",
        f"This one commit carries {lines} of the {total} changed lines of your "
        "work" + (" (code and summary together)." if both else "."),
        "Commit each logical step on its own (one class, then the next, then the "
        f"summary). To split it: `git rebase -i {commit.sha[:8]}^`, mark it "
        "`edit`, `git reset HEAD^`, then add and commit the parts one by one and "
        "`git rebase --continue`.",
    )


def _merge_noise(own: list[Commit], cfg: dict, out: dict[str, list[Issue]]) -> None:
    noise = [re.compile(p) for p in cfg.get("merge_noise_patterns", [])]
    for commit in own:
        if not commit.is_merge:
            continue
        subject = normalized(commit.subject[:1000]).text
        if any(p.search(subject) for p in noise):
            out[commit.sha].append(
                Issue(
                    "merge_noise",
                    "A merge made by `git pull` of the same branch: it records no "
                    "decision, only that two copies diverged.",
                    "Pull with `git pull --rebase` (or once `git config "
                    "pull.rebase true`). To drop existing ones: `git rebase "
                    "origin/<branch>` before pushing.",
                )
            )


def author_issues(own: list[Commit], cfg: dict) -> list[RepoIssue]:
    """Return one issue per unusable author identity."""
    bad = [re.compile(p, re.I) for p in cfg.get("bad_author_patterns", [])]
    by_raw: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    for commit in own:  # few identities, many commits: judge each identity once
        by_raw[(commit.author[:300], commit.email[:300])].append(commit)
    by_identity: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    for (raw_name, raw_email), commits in by_raw.items():
        name = normalized(raw_name).text.strip()
        email = normalized(raw_email).text.strip()
        if not name or not email or any(p.search(f"{name} <{email}>") for p in bad):
            by_identity[(name, email)] += commits
    issues = []
    for (name, email), commits in by_identity.items():
        who = f"{shown(name) or '(empty)'} <{shown(email) or '(empty)'}>"
        issues.append(
            RepoIssue(
                "bad_author",
                f"{len(commits)} commit(s) have the author '{who}', which does not "
                "say who you are.",
                "Set your identity once: `git config --global user.name "
                '"Your Name"` and `git config --global user.email '
                "you@example.org`; fix the commits with `git rebase -r --root "
                "--exec 'git commit --amend --no-edit --reset-author'`.",
                commits=[ref(c) for c in commits],
            )
        )
    return issues
