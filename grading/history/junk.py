"""Committed files that do not belong in git: junk, models, large files.

The rules (``junk`` of ``[history]``, plus the "do not commit `X`" sentences
of the READMEs at the base) are matched against each path the student's
commits added, after :func:`grading.util.text.normalize`, so ``bu\\u200bild/``
is ``build/``. One :class:`RepoIssue` per group of paths names the commit
that added them and the commands that remove them.
"""

from __future__ import annotations

import git

from grading.history import gitdata, patterns
from grading.history.gitdata import NULL_SHA, SUBMODULE_MODE, Change, Commit
from grading.history.readme import forbidden_patterns
from grading.history.report import RepoIssue, normalized, quote, shown
from grading.history.rules import ref

#: README files larger than this are not read for junk rules.
README_MAX_BYTES = 256 * 1024


def readme_rules(repo: git.Repo, rev: str, cfg: dict) -> list[dict]:
    """Junk rules from the READMEs at ``rev`` (the template when known)."""
    files = cfg.get("readme_files", [])
    if not files:
        return []
    try:
        raw = repo.git.ls_tree("-z", rev, "--", *files, stdout_as_string=False)
    except git.GitCommandError:
        return []
    shas = {}
    for rec in raw.split(b"\0"):
        meta, _, path = rec.partition(b"\t")
        parts = meta.decode("ascii", "replace").split()
        if len(parts) == 3 and parts[1] == "blob":
            shas[parts[2]] = path.decode("utf-8", "replace")
    known = {r["pattern"] for r in cfg.get("junk", [])}
    out = []
    blobs = gitdata.read_blobs(repo, list(shas), README_MAX_BYTES)
    for sha, content in blobs.items():
        text = normalized(content.decode("utf-8", "replace")).text
        for pattern, sentence in forbidden_patterns(text):
            if pattern in known:
                continue
            known.add(pattern)
            out.append(
                {
                    "pattern": pattern,
                    "what": f"a path that {shown(shas[sha])} asks not to commit "
                    f'("{shown(sentence)}")',
                }
            )
    return out


def lfs_blobs(repo: git.Repo, added: list[Change], sizes: dict, cfg: dict) -> set[str]:
    """Return the blob ids among ``added`` that are Git LFS pointers."""
    lfs_rules = patterns.Matcher([r["pattern"] for r in cfg["junk"] if r.get("lfs")])
    small = [
        ch.new_sha
        for ch in added
        if sizes.get(ch.new_sha, 1 << 30) < 1024 and lfs_rules.first(ch.path)
    ]
    return {
        sha
        for sha, content in gitdata.read_blobs(repo, small, 1024).items()
        if gitdata.is_lfs_pointer(content)
    }


def _first_added(own: list[Commit]) -> dict[str, tuple[Commit, Change]]:
    """Path to (commit that first added it, its latest change), oldest first."""
    added: dict[str, tuple[Commit, Change]] = {}
    for commit in reversed(own):
        for change in commit.changes:
            if change.new_sha == NULL_SHA or change.new_mode == SUBMODULE_MODE:
                continue
            if change.status in ("A", "T"):
                added.setdefault(change.path, (commit, change))
            elif change.path in added:
                added[change.path] = (added[change.path][0], change)
    return added


def junk_issues(
    own: list[Commit],
    head_paths: set[str],
    cfg: dict,
    sizes: dict[str, int],
    lfs: set[str],
    extra_rules: list[dict],
) -> tuple[list[RepoIssue], set[str]]:
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
    lfs : set of str
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
    matcher = patterns.Matcher([r["pattern"] for r in rules])
    limit = float(cfg["size_limit_mb"]) * 1024 * 1024
    groups: dict[tuple[str, str, bool], dict] = {}
    reported: set[str] = set()
    for path, (commit, change) in _first_added(own).items():
        at_head = path in head_paths
        found = matcher.first(normalized(path).text)
        if found is not None:
            rule, where = rules[found[0]], found[1]
            lfs_ok = rule.get("lfs", False)
            if lfs_ok and change.new_sha in lfs:
                continue
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
            continue
        size = sizes.get(change.new_sha, 0)
        if size > limit and change.new_sha not in lfs:
            code = "large_file" if at_head else "large_file_in_history"
            groups[(code, path, at_head)] = {
                "code": code,
                "rule": {"what": f"a file of {size / 1048576:.1f} MB"},
                "where": path,
                "paths": [path],
                "commits": {commit.sha: commit},
                "size": size,
            }
            reported.add(path)
    issues = [_junk_issue(g, cfg) for g in groups.values()]
    issues.sort(key=lambda i: (i.code, i.paths[0] if i.paths else ""))
    return issues, reported


def _junk_issue(group: dict, cfg: dict) -> RepoIssue:
    code, paths = group["code"], sorted(group["paths"])
    where = shown(group["where"], 300)
    what = group["rule"].get("what", "files that should not be in the repository")
    commits = list(group["commits"].values())
    added_by = ", ".join(f"{c.sha[:8]} {quote(c.subject, 80)}" for c in commits[:3])
    if len(commits) > 3:
        added_by += f" and {len(commits) - 3} more"
    first = [shown(p, 300) for p in paths[:5]]
    listed = ", ".join(first) + (
        f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    )
    folder = where.endswith("/")
    ignore_line = where if folder else group["rule"].get("pattern", where)
    rm = (
        f"git rm -r --cached {where}"
        if folder
        else "git rm --cached "
        + " ".join(first[:3])
        + (" ..." if len(paths) > 3 else "")
    )
    if code == "junk_committed":
        message = f"{what} committed: {listed} (added by {added_by})."
        hint = (
            f"Add `{ignore_line}` to .gitignore, run `{rm}` and commit; the "
            "files stay on your disk."
        )
    elif code == "model_file":
        message = f"{what} committed outside Git LFS: {listed} (added by {added_by})."
        hint = (
            "Models are build products: do not commit them (the summary needs "
            f"only their numbers). Add `{ignore_line}` to .gitignore and run "
            f"`{rm}`; if a model must be shared, use Git LFS (`git lfs track "
            f"'{group['rule'].get('pattern', '*.tflite')}'`)."
        )
    elif code == "large_file":
        message = (
            f"{listed} is {group['size'] / 1048576:.1f} MB, over the "
            f"{cfg['size_limit_mb']} MB limit, and not in Git LFS "
            f"(added by {added_by})."
        )
        hint = (
            f"Remove it with `git rm --cached {first[0]}` and ignore it, or "
            f"store it with Git LFS (`git lfs track '{first[0]}'`, then add it "
            "again)."
        )
    else:  # junk_in_history, large_file_in_history
        message = (
            f"{what} was committed and later removed: {listed} (added by "
            f"{added_by}). It still makes every clone larger."
        )
        hint = (
            "Nothing to do in the tree. To drop it from the history, edit the "
            f"commit that added it (`git rebase -i {commits[0].sha[:8]}^`, "
            "mark it `edit`, `git rm --cached` the files, `git commit --amend`, "
            "`git rebase --continue`) and push with `--force-with-lease`."
        )
    return RepoIssue(
        code, message, hint, paths=paths, commits=[ref(c) for c in commits]
    )
