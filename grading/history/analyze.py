"""Analyse one repository: pick the student's commits, apply the rules, score.

:func:`analyze` returns the JSON report that ``python -m grading history``
prints and that the ``history`` check stores as its details.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import git

from grading.history import base as basemod
from grading.history import gitdata, rules, scoring
from grading.history.gitdata import NULL_SHA, Change, Commit, NotARepository
from grading.history.readme import forbidden_patterns
from grading.pipeline.rubric import Rubric

REQUIRED = (
    "rule",
    "convention",
    "subject_max",
    "generic",
    "non_imperative",
    "junk",
    "size_limit_mb",
    "giant_share",
    "giant_min_lines",
    "deduct",
    "cap",
)
FETCH_HINT = (
    "The clone is shallow (GitHub Actions clones only the last commit by "
    "default). Fetch the whole history: in the workflow use "
    "`actions/checkout` with `fetch-depth: 0`; locally run `git fetch --unshallow`."
)


class HistoryConfigError(ValueError):
    """The rubric's ``[history]`` section is missing or malformed."""


def load_config(rubric: Rubric) -> tuple[dict, str, float]:
    """Return ``(history section, item id, item points)`` from a rubric.

    Raises
    ------
    HistoryConfigError
        If the section, a required key or the item is missing; the message
        names the rubric file.
    """
    where = rubric.path
    cfg = rubric.section("history")
    if not cfg:
        raise HistoryConfigError(f"{where}: no [history] section with the scoring rule")
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise HistoryConfigError(f"{where}: [history] lacks {', '.join(missing)}")
    try:
        pattern = re.compile(cfg["convention"])
    except re.error as exc:
        raise HistoryConfigError(
            f"{where}: [history] convention is not a regex: {exc}"
        ) from exc
    if "summary" not in pattern.groupindex:
        raise HistoryConfigError(
            f"{where}: [history] convention needs a (?P<summary>...) group"
        )
    cfg = dict(cfg)
    if "summary_paths" not in cfg:
        summary_dir = rubric.summary_dir or "summaries"
        cfg["summary_paths"] = [summary_dir.rstrip("/") + "/"]
    item_id = cfg.get("item", "git_history")
    item = rubric.item(item_id)
    if item is None:
        raise HistoryConfigError(f"{where}: no item {item_id!r} for the history check")
    return cfg, item_id, item.points


def _commit_row(commit: Commit, issues: list[dict]) -> dict:
    return {
        "sha": commit.sha,
        "short": commit.sha[:8],
        "subject": commit.subject,
        "author": f"{commit.author} <{commit.email}>",
        "date": commit.date,
        "merge": commit.is_merge,
        "findings": issues,
    }


def _readme_rules(repo: git.Repo, rev: str, cfg: dict) -> list[dict]:
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
    for sha, content in gitdata.read_blobs(repo, list(shas)).items():
        text = content[:200_000].decode("utf-8", "replace")
        for pattern, sentence in forbidden_patterns(text):
            if pattern in known:
                continue
            known.add(pattern)
            out.append(
                {
                    "pattern": pattern,
                    "what": f"a path that {shas[sha]} asks not to commit "
                    f'("{sentence}")',
                }
            )
    return out


def _shallow_boundary(repo: git.Repo) -> set[str]:
    """Commits whose parents were cut off by a shallow clone."""
    try:
        text = (Path(repo.git_dir) / "shallow").read_text(encoding="ascii")
    except OSError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def _decide_base(
    repo: git.Repo,
    commits: list[Commit],
    cfg: dict,
    base_rev: str | None,
    shallow: bool,
    head: str,
) -> basemod.Base:
    notes: list[str] = []
    fingerprint = None
    blob = basemod.fingerprint_blob(commits)
    if blob:
        content = gitdata.read_blobs(repo, [blob]).get(blob)
        if content is not None:
            fingerprint, problem = basemod.load_fingerprint(content)
            if problem:
                notes.append(problem)
    if base_rev:
        sha = gitdata.resolve(repo, base_rev)
        if sha is None:
            notes.append(
                f"--base {base_rev!r} is not a commit of this repository; "
                "deciding the base automatically instead"
            )
        else:
            if sha not in {c.sha for c in commits}:
                try:
                    sha = repo.git.merge_base(sha, head).strip()
                    notes.append(
                        f"--base {base_rev!r} is not in the history of HEAD; "
                        f"using the common ancestor {sha[:8]}"
                    )
                except git.GitCommandError:
                    notes.append(f"--base {base_rev!r} shares no history with HEAD")
                    sha = None
            if sha:
                return basemod.Base(
                    sha, "option", f"given with --base {base_rev}", notes, fingerprint
                )
    if fingerprint is not None:
        sha, kind = basemod.match_fingerprint(
            commits, fingerprint["files"], cfg.get("platform_paths", [])
        )
        if sha and kind == "recorded" and shallow:
            # A cut-off commit lists every file as added: "holds all the
            # template's files" says nothing about where the template ends.
            sha = None
        if sha:
            how = (
                "the newest commit whose files are exactly the template's"
                if kind == "exact"
                else "the first commit holding every template file unchanged"
            )
            version = fingerprint.get("template_version", "?")
            return basemod.Base(
                sha,
                "fingerprint",
                f"template fingerprint {basemod.FINGERPRINT_PATH} (version {version}): "
                f"{how}",
                notes,
                fingerprint,
            )
        notes.append(
            "no commit matches the template fingerprint (rebased or squashed "
            "history?); falling back to heuristics"
        )
    sha, why = basemod.heuristic_base(commits, cfg, shallow)
    if sha:
        return basemod.Base(sha, "heuristic", why, notes, fingerprint)
    why = "no base found: every commit counts as the student's"
    if shallow:
        why = "no base found in this shallow clone: every visible commit counts"
    return basemod.Base(None, "none", why, notes, fingerprint)


def analyze(
    path: str | Path, cfg: dict, max_points: float, base_rev: str | None = None
) -> dict:
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

    Returns
    -------
    dict
        The report: ``status``, ``base``, ``student_commits``,
        ``repo_findings``, ``score``, ``max_score``, ``deductions``,
        ``rule``, ``judged`` (``full``, ``partial`` or ``none``) and
        ``cannot_judge``.
    """
    started = time.perf_counter()
    path = Path(path)
    report: dict = {
        "repository": str(path),
        "status": "ok",
        "head": None,
        "branch": None,
        "detached": False,
        "shallow": False,
        "judged": "full",
        "cannot_judge": [],
        "base": {"sha": None, "method": "none", "explanation": "", "notes": []},
        "commit_count": 0,
        "student_commits": [],
        "ignored_commits": [],
        "repo_findings": [],
        "score": None,
        "max_score": float(max_points),
        "fraction": None,
        "deductions": [],
        "rule": " ".join(str(cfg["rule"]).split()),
    }
    try:
        repo = gitdata.open_repo(path)
    except NotARepository:
        report.update(status="not_a_repository", judged="none")
        report["cannot_judge"].append(
            f"{path} is not the top folder of a git repository (no .git), so "
            "there is no history to judge. Submit the repository itself (a git "
            "clone), not a copy or an archive of its files."
        )
        return report
    with repo:
        info = gitdata.head_info(repo)
        report.update(
            head=info["head"],
            branch=info["branch"],
            shallow=info["shallow"],
            detached=bool(info["head"]) and info["branch"] is None,
        )
        if not info["head"]:
            report.update(status="empty", score=0.0, fraction=0.0)
            report["repo_findings"].append(
                {
                    "code": "no_commits",
                    "message": "The repository has no commits.",
                    "hint": "Commit your work (`git add <paths>`, `git commit -m "
                    '"<area>: <Summary>"`) and push it.',
                    "paths": [],
                    "commits": [],
                }
            )
            return report
        commits = gitdata.read_log(repo, info["head"])
        report["commit_count"] = len(commits)
        base = _decide_base(repo, commits, cfg, base_rev, info["shallow"], info["head"])
        report["base"] = {
            "sha": base.sha,
            "method": base.method,
            "explanation": base.explanation,
            "notes": base.notes,
        }
        template = basemod.ancestors(commits, base.sha) if base.sha else set()
        bots = cfg.get("bot_authors", [])
        own: list[Commit] = []
        for commit in commits:
            if commit.sha in template:
                continue
            if basemod.is_bot(commit, bots):
                report["ignored_commits"].append(
                    {
                        "sha": commit.sha,
                        "subject": commit.subject,
                        "author": f"{commit.author} <{commit.email}>",
                        "why": "made by a bot, not by the student",
                    }
                )
                continue
            own.append(commit)
        shallow = info["shallow"]
        boundary = _shallow_boundary(repo) if shallow else set()
        head_tree = gitdata.ls_tree(repo, info["head"])
        if shallow:
            report["judged"] = "partial"
            report["cannot_judge"] += [
                "which commits are the student's, when the template commit is "
                "not in the clone",
                "the shape of the history (one giant commit, code and summary "
                "together, merges)",
                "which commit added each committed file",
                FETCH_HINT,
            ]
            # The cut-off commits show every file as added: do not trust them.
            fp_files = (base.fingerprint or {}).get("files", {})
            base_paths = set(gitdata.ls_tree(repo, base.sha)) if base.sha else set()
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
                    path=e.path,
                    status="A",
                    old_sha=NULL_SHA,
                    new_sha=e.sha,
                    new_mode=e.mode,
                )
                for e in head_tree.values()
                if e.kind == "blob"
                and fp_files.get(e.path) != e.sha
                and e.path not in base_paths
            ]
            junk_source = [pseudo]
        else:
            junk_source = own
        # Sizes and LFS status of every blob the student added.
        added = [
            ch
            for c in junk_source
            for ch in c.changes
            if ch.new_sha != NULL_SHA and ch.status in ("A", "T")
        ]
        sizes = gitdata.blob_sizes(repo, [ch.new_sha for ch in added])
        small = [
            ch.new_sha
            for ch in added
            if sizes.get(ch.new_sha, 1 << 30) < 1024
            and any(
                r.get("lfs") and rules.patterns.match(r["pattern"], ch.path)
                for r in cfg["junk"]
            )
        ]
        lfs = {
            sha
            for sha, content in gitdata.read_blobs(repo, small).items()
            if gitdata.is_lfs_pointer(content)
        }
        extra = _readme_rules(repo, base.sha or info["head"], cfg)
        junk, junk_paths = rules.junk_issues(
            junk_source, set(head_tree), cfg, sizes, lfs, extra
        )
        report["readme_rules"] = extra
        shape = {} if shallow else rules.shape_issues(own, cfg, junk_paths)
        codes: list[str] = []
        rows = []
        for commit in own:
            issues = [] if commit.is_merge else rules.message_issues(commit, cfg)
            issues += shape.get(commit.sha, [])
            if commit.sha in boundary:
                issues.append(
                    {
                        "code": "cut_off",
                        "message": "The parents of this "
                        "commit are not in the clone (shallow).",
                        "hint": FETCH_HINT,
                    }
                )
            codes += [i["code"] for i in issues]
            rows.append(_commit_row(commit, issues))
        repo_findings = junk + rules.author_issues(own, cfg)
        codes += [f["code"] for f in repo_findings]
        report["student_commits"] = rows
        report["repo_findings"] = repo_findings
        report["submodules"] = sorted(
            e.path for e in head_tree.values() if e.mode == gitdata.SUBMODULE_MODE
        )
        report["lfs_files"] = sorted(ch.path for ch in added if ch.new_sha in lfs)
        if not own and shallow:
            report["status"] = "shallow"
            report["cannot_judge"].insert(
                0, "whether you made commits at all: none is visible in this clone"
            )
        elif not own:
            report.update(status="no_student_commits", score=0.0, fraction=0.0)
            report["repo_findings"].append(
                {
                    "code": "no_student_commits",
                    "message": "There are no commits of yours after the template "
                    f"({base.explanation}).",
                    "hint": "Commit your work in small steps and push it. If your work "
                    "is there, tell the instructor: the base may be wrong "
                    "(they can grade with --base).",
                    "paths": [],
                    "commits": [],
                }
            )
        else:
            result = scoring.apply_rule(codes, cfg, max_points)
            report.update(
                score=result["points"],
                fraction=result["fraction"],
                deductions=result["deductions"],
            )
            if shallow:
                report["status"] = "shallow"
    report["seconds"] = round(time.perf_counter() - started, 4)
    return report
