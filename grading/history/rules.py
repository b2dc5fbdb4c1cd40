"""The rules of the history check: messages, shape, authors and junk.

Every rule returns plain dicts ``{"code", "message", "hint", ...}``; the
scoring rule in the lab's TOML decides what each code costs. All word
lists, patterns and limits come from the ``[history]`` section of the rubric.
"""

from __future__ import annotations

import re
from collections import defaultdict

from grading.history import patterns
from grading.history.gitdata import NULL_SHA, SUBMODULE_MODE, Change, Commit

REWORD_HINT = (
    "Reword it: for the latest commit `git commit --amend`; for an older one "
    "`git rebase -i {sha}^`, change `pick` to `reword` on its line, save, "
    "write the new message, then `git push --force-with-lease`."
)


def _norm(text: str) -> str:
    """Lower-case ``text`` and drop surrounding punctuation and spaces."""
    return text.strip().strip(".!?,;:-_ ").lower()


def message_issues(commit: Commit, cfg: dict) -> list[dict]:
    """Check one commit message against the course convention.

    Parameters
    ----------
    commit : Commit
        A non-merge commit of the student.
    cfg : dict
        The ``[history]`` section of the rubric.

    Returns
    -------
    list of dict
        One ``{"code", "message", "hint"}`` per broken rule. An empty or a
        generic subject is reported alone (the other rules add nothing then).
    """
    return _with_reword(
        _message_issues(commit, cfg), REWORD_HINT.format(sha=commit.sha[:8])
    )


def compiled(cfg: dict) -> dict:
    """Return the word sets and regexes of ``cfg``, compiled once per config."""
    cached = cfg.get("_compiled")
    if cached is None:
        cached = {
            "convention": re.compile(cfg["convention"]),
            "generic": {_norm(g) for g in cfg.get("generic", [])},
            "generic_patterns": [
                re.compile(p, re.I) for p in cfg.get("generic_patterns", [])
            ],
            "non_imperative": {w.lower() for w in cfg.get("non_imperative", [])},
        }
        cfg["_compiled"] = cached
    return cached


def _message_issues(commit: Commit, cfg: dict) -> list[dict]:
    subject = commit.subject
    lines = commit.message.split("\n")
    example = cfg.get("example_subject", "area: Summary")
    rx = compiled(cfg)
    if not subject:
        return [
            {
                "code": "empty_subject",
                "message": "The commit has no subject line.",
                "hint": f"Say what the commit does, e.g. `{example}`.",
            }
        ]
    m = rx["convention"].match(subject)
    summary = m.group("summary") if m and "summary" in m.groupdict() else subject
    generic = rx["generic"]
    if (
        _norm(subject) in generic
        or _norm(summary) in generic
        or any(p.fullmatch(subject.strip()) for p in rx["generic_patterns"])
    ):
        return [
            {
                "code": "generic_message",
                "message": f"The subject {subject!r} does not say what changed.",
                "hint": f"Name the change, e.g. `{example}`.",
            }
        ]
    issues = []
    limit = int(cfg["subject_max"])
    if len(subject) > limit:
        issues.append(
            {
                "code": "subject_too_long",
                "message": f"The subject has {len(subject)} characters "
                f"(at most {limit}).",
                "hint": "Keep the subject short and move details to the body, "
                "after a blank line.",
            }
        )
    if m is None:
        issues.append(
            {
                "code": "convention",
                "message": f"The subject {subject!r} does not follow "
                "`<area>: <Summary>`.",
                "hint": f"Start with the area the change touches, e.g. `{example}`.",
            }
        )
    elif cfg.get("summary_capitalized", True) and summary[:1].islower():
        issues.append(
            {
                "code": "convention",
                "message": f"The summary after the area should start with a capital "
                f"letter: {subject!r}.",
                "hint": f"E.g. `{example}`.",
            }
        )
    first = (
        re.split(r"[\s:,]+", summary.strip(), maxsplit=1)[0] if summary.strip() else ""
    )
    if _norm(first) in rx["non_imperative"]:
        issues.append(
            {
                "code": "not_imperative",
                "message": f"The subject starts with {first!r}; write it as a command "
                "(imperative mood).",
                "hint": "Complete the sentence 'If applied, this commit will ...': "
                "`Add`, `Fix`, `Implement`, not `Added` or `Adding`.",
            }
        )
    if subject.endswith("."):
        issues.append(
            {
                "code": "trailing_period",
                "message": "The subject ends with a period.",
                "hint": "Drop the period at the end of the subject.",
            }
        )
    if len(lines) > 1 and lines[1].strip():
        issues.append(
            {
                "code": "no_blank_line",
                "message": "The body starts right on the second line.",
                "hint": "Leave the second line empty so that tools show the subject "
                "alone.",
            }
        )
    return issues


def _with_reword(issues: list[dict], reword: str) -> list[dict]:
    """Split each hint into the specific advice (``how``) and the full hint."""
    for issue in issues:
        issue["how"] = issue["hint"]
        issue["hint"] = f"{issue['hint']} {reword}"
    return issues


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
) -> dict[str, list[dict]]:
    """Find mixed and giant commits and merge noise.

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
    out: dict[str, list[dict]] = defaultdict(list)
    plain = [c for c in own if not c.is_merge]
    lines = {
        c.sha: sum(_lines(ch) for ch in c.changes if ch.path not in junk_paths)
        for c in plain
    }
    total = sum(lines.values())
    share = float(cfg["giant_share"])
    min_lines = int(cfg["giant_min_lines"])
    for commit in plain:
        kinds = {_kind(ch.path, cfg) for ch in commit.changes} - {""}
        both = kinds == {"code", "summary"}
        big = total >= min_lines and (
            len(plain) == 1 or (both and lines[commit.sha] >= share * total)
        )
        if big:
            out[commit.sha].append(
                {
                    "code": "giant_commit",
                    "message": f"This one commit carries {lines[commit.sha]} of the "
                    f"{total} changed lines of your work"
                    + (" (code and summary together)." if both else "."),
                    "hint": "Commit each logical step on its own (one class, then the "
                    "next, then the summary). To split it: `git rebase -i "
                    f"{commit.sha[:8]}^`, mark it `edit`, `git reset HEAD^`, then add "
                    "and commit the parts one by one and `git rebase --continue`.",
                }
            )
        elif both:
            out[commit.sha].append(
                {
                    "code": "mixed_code_summary",
                    "message": "This commit changes both code and the summary.",
                    "hint": "Commit the code and the summary separately; "
                    "`git add -p` or `git add <paths>` stages just one of them.",
                }
            )
    noise = [re.compile(p) for p in cfg.get("merge_noise_patterns", [])]
    for commit in own:
        if commit.is_merge and any(p.search(commit.subject) for p in noise):
            out[commit.sha].append(
                {
                    "code": "merge_noise",
                    "message": "A merge made by `git pull` of the same branch: it "
                    "records no decision, only that two copies diverged.",
                    "hint": "Pull with `git pull --rebase` (or once `git config "
                    "pull.rebase true`). To drop existing ones: `git rebase "
                    "origin/<branch>` before pushing.",
                }
            )
    return out


def author_issues(own: list[Commit], cfg: dict) -> list[dict]:
    """Return one issue per unusable author identity."""
    bad = [re.compile(p, re.I) for p in cfg.get("bad_author_patterns", [])]
    by_identity: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    for commit in own:
        name, email = commit.author.strip(), commit.email.strip()
        if not name or not email or any(p.search(f"{name} <{email}>") for p in bad):
            by_identity[(name, email)].append(commit)
    issues = []
    for (name, email), commits in by_identity.items():
        issues.append(
            {
                "code": "bad_author",
                "message": f"{len(commits)} commit(s) have the author "
                f"'{name or '(empty)'} <{email or '(empty)'}>', which does not "
                "say who you are.",
                "hint": "Set your identity once: `git config --global user.name "
                '"Your Name"` and `git config --global user.email '
                "you@example.org`; fix the commits with `git rebase -r --root "
                "--exec 'git commit --amend --no-edit --reset-author'`.",
                "paths": [],
                "commits": [_ref(c) for c in commits[:10]],
            }
        )
    return issues


def _ref(commit: Commit) -> dict:
    return {"sha": commit.sha, "subject": commit.subject}


def junk_issues(
    own: list[Commit],
    head_paths: set[str],
    cfg: dict,
    sizes: dict[str, int],
    lfs_blobs: set[str],
    extra_rules: list[dict],
) -> tuple[list[dict], set[str]]:
    """Find junk and oversized files that the student's commits added.

    Parameters
    ----------
    own : list of Commit
        The student's commits, children first.
    head_paths : set of str
        Paths in the tree of ``HEAD``.
    cfg : dict
        The ``[history]`` section (``junk`` rules, ``size_limit_mb``).
    sizes : dict
        Blob id to size in bytes.
    lfs_blobs : set of str
        Blob ids that are Git LFS pointers.
    extra_rules : list of dict
        More junk rules (from the README), same shape as ``cfg["junk"]``.

    Returns
    -------
    tuple
        ``(issues, junk_paths)``: one issue per group of paths, and every
        path reported.
    """
    rules = list(cfg.get("junk", [])) + extra_rules
    limit = float(cfg["size_limit_mb"]) * 1024 * 1024
    # path -> (commit that first added it, change)
    added: dict[str, tuple[Commit, Change]] = {}
    for commit in reversed(own):  # oldest first
        for change in commit.changes:
            if change.new_sha == NULL_SHA or change.new_mode == SUBMODULE_MODE:
                continue
            if change.status in ("A", "T"):
                added.setdefault(change.path, (commit, change))
            elif change.path in added:
                added[change.path] = (added[change.path][0], change)
    groups: dict[tuple[str, str, bool], dict] = {}
    reported: set[str] = set()
    for path, (commit, change) in added.items():
        at_head = path in head_paths
        for rule in rules:
            where = patterns.match(rule["pattern"], path)
            if where is None:
                continue
            lfs_ok = rule.get("lfs", False)
            if lfs_ok and change.new_sha in lfs_blobs:
                break
            code = (
                ("model_file" if lfs_ok else "junk_committed")
                if at_head
                else "junk_in_history"
            )
            key = (code, where if where.endswith("/") else rule["pattern"], at_head)
            group = groups.setdefault(
                key,
                {
                    "code": code,
                    "rule": rule,
                    "where": key[1],
                    "paths": [],
                    "commits": {},
                },
            )
            group["paths"].append(path)
            group["commits"].setdefault(commit.sha, commit)
            reported.add(path)
            break
        else:
            size = sizes.get(change.new_sha, 0)
            if size > limit and change.new_sha not in lfs_blobs:
                code = "large_file" if at_head else "large_file_in_history"
                key = (code, path, at_head)
                groups[key] = {
                    "code": code,
                    "rule": {"what": f"a file of {size / 1048576:.1f} MB"},
                    "where": path,
                    "paths": [path],
                    "commits": {commit.sha: commit},
                    "size": size,
                }
                reported.add(path)
    issues = [_junk_issue(g, cfg) for g in groups.values()]
    issues.sort(key=lambda i: (i["code"], i["paths"][0] if i["paths"] else ""))
    return issues, reported


def _junk_issue(group: dict, cfg: dict) -> dict:
    code, where, paths = group["code"], group["where"], sorted(group["paths"])
    what = group["rule"].get("what", "files that should not be in the repository")
    commits = list(group["commits"].values())
    added_by = ", ".join(f"{c.sha[:8]} {c.subject!r}" for c in commits[:3])
    if len(commits) > 3:
        added_by += f" and {len(commits) - 3} more"
    shown = ", ".join(paths[:5]) + (
        f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    )
    folder = where.endswith("/")
    ignore_line = where if folder else group["rule"].get("pattern", where)
    rm = (
        f"git rm -r --cached {where}"
        if folder
        else "git rm --cached "
        + " ".join(paths[:3])
        + (" ..." if len(paths) > 3 else "")
    )
    limit = cfg["size_limit_mb"]
    if code == "junk_committed":
        message = f"{what} committed: {shown} (added by {added_by})."
        hint = (
            f"Add `{ignore_line}` to .gitignore, run `{rm}` and commit; the "
            "files stay on your disk."
        )
    elif code == "model_file":
        message = f"{what} committed outside Git LFS: {shown} (added by {added_by})."
        hint = (
            "Models are build products: do not commit them (the summary needs "
            f"only their numbers). Add `{ignore_line}` to .gitignore and run "
            f"`{rm}`; if a model must be shared, use Git LFS (`git lfs track "
            f"'{group['rule'].get('pattern', '*.tflite')}'`)."
        )
    elif code == "large_file":
        message = (
            f"{shown} is {group['size'] / 1048576:.1f} MB, over the "
            f"{limit} MB limit, and not in Git LFS (added by {added_by})."
        )
        hint = (
            f"Remove it with `git rm --cached {paths[0]}` and ignore it, or "
            f"store it with Git LFS (`git lfs track '{paths[0]}'`, then add it "
            "again)."
        )
    else:  # junk_in_history, large_file_in_history
        message = (
            f"{what} was committed and later removed: {shown} (added by "
            f"{added_by}). It still makes every clone larger."
        )
        hint = (
            "Nothing to do in the tree. To drop it from the history, edit the "
            f"commit that added it (`git rebase -i {commits[0].sha[:8]}^`, "
            "mark it `edit`, `git rm --cached` the files, `git commit --amend`, "
            "`git rebase --continue`) and push with `--force-with-lease`."
        )
    return {
        "code": code,
        "message": message,
        "hint": hint,
        "paths": paths,
        "commits": [_ref(c) for c in commits[:10]],
    }
