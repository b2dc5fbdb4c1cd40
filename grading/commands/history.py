"""Verb ``history``: judge the git history of one repository."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap

from grading.history import HistoryConfigError, analyze, gitdata, load_config
from grading.history.messages import REWORD_HINT
from grading.history.report import HistoryReport
from grading.pipeline.rubric import RubricError, default_lab, load_rubric

NAME = "history"
HELP = "judge the git history of a repository (messages, shape, junk) and score it"
DESCRIPTION = """\
Judge the git history of a repository the way the history item of the rubric
does: which commits are yours (after the template), their messages (they say
what changed, follow the convention, are not `update`, `fix` or `wip`), their
shape (one logical change per commit, not all the code in one commit, no
merges made by `git pull`, a real author) and committed junk (build/, caches,
models outside Git LFS, files over the size limit). The points come from the
rule in the [history] section of the lab's rubric file; every finding says
how to fix it.

Which commits are yours: the template's last commit (the base) is --base if
given, else the commit matching our template's fingerprint
(.course/template.json), else the newest commit of the original course
(antmicro/dl-in-iot-course) in your history, so the course's own commits
never count as yours, else heuristics. The output says which.

Which convention applies: the one of the template you started from. Our
template: `<area>: <Summary>`, one area, imperative (`l03_pruning_clustering:
Implement ClusteredModel`). A fork of the original course: the course's own
style, one or more areas, imperative or past tense
(`summaries: l03_pruning_clustering: Added the summary`).

exit status: 0 the report was printed (whatever the score), 1 the repository
could not be read, 2 usage error (unknown lab, --base not a commit).

examples:
  python -m grading history .
  python -m grading history . --all
  python -m grading history submissions/alice --base 1a2b3c4 --json
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``history``."""
    parser.add_argument("repo", metavar="REPO", help="top folder of the repository")
    parser.add_argument(
        "--lab",
        default=default_lab(),
        help="lab id or rubric .toml whose [history] rule applies "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--base",
        metavar="REV",
        help="last commit of the template (sha, tag or branch); overrides the "
        "fingerprint and the heuristics",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.add_argument(
        "--all",
        action="store_true",
        help="list every student commit, not only those with findings",
    )


def _wrap(text: str, indent: str) -> str:
    """Wrap ``text`` at 88 columns without breaking `code spans`."""
    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), text)
    wrapped = textwrap.fill(
        glued,
        width=88,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped.replace("\0", " ")


def _header(report: HistoryReport) -> list[str]:
    where = report.branch or ("detached HEAD" if report.head else "no commits")
    head = f", HEAD {report.head[:8]}" if report.head else ""
    lines = [f"Git history of {report.repository} ({where}{head})"]
    base = report.base
    if report.head and report.status != "too_large":
        sha = base.sha[:8] if base.sha else "none"
        lines.append(
            _wrap(f"Base: {sha}, decided by {base.method}: {base.explanation}", "")
        )
        if base.convention:
            lines.append(f"Convention: {base.convention}")
        lines += [_wrap(f"note: {note}", "  ") for note in base.notes]
        ignored = report.ignored_count
        lines.append(
            f"Student commits: {report.student_commit_count} of "
            f"{report.commit_count}"
            + (
                f" ({ignored} not yours ignored: bots, the course's updates)"
                if ignored
                else ""
            )
        )
    if report.shallow:
        lines.append("Shallow clone: partial judgement. Cannot judge:")
        lines += [_wrap(f"- {c}", "  ") for c in report.cannot_judge]
    return lines


def _commit_lines(report: HistoryReport, show_all: bool) -> list[str]:
    lines = []
    clean = 0
    for row in report.student_commits:
        if not row.findings and not show_all:
            clean += 1
            continue
        lines.append(f"  {row.short}  {row.subject or '(no subject)'}")
        reword = False
        for issue in row.findings:
            lines.append(_wrap(f"{issue.code}: {issue.message}", "      "))
            lines.append(_wrap(f"fix: {issue.how or issue.hint}", "        "))
            reword = reword or bool(issue.how)
        if reword:
            lines.append(_wrap(REWORD_HINT.format(sha=row.short), "      "))
    if clean:
        lines.append(f"  ({clean} commit(s) without findings; --all lists them)")
    left_out = report.student_commit_count - len(report.student_commits)
    if left_out > 0:
        lines.append(f"  ({left_out} more commit(s) not listed)")
    return lines


def render(report: HistoryReport, show_all: bool = False) -> str:
    """Return the report as text for a terminal."""
    if report.status == "not_a_repository":
        return "\n".join(
            [
                f"Git history of {report.repository}: not a git repository",
                _wrap(report.cannot_judge[0], "  "),
            ]
        )
    lines = _header(report) + [""] + _commit_lines(report, show_all)
    if report.repo_findings:
        lines += ["", "Repository:"]
        for finding in report.repo_findings:
            lines.append(_wrap(f"{finding.code}: {finding.message}", "  "))
            lines.append(_wrap(f"fix: {finding.hint}", "    "))
    lines.append("")
    for d in report.deductions:
        if d.points:
            share = f", share x {d.share:g}" if d.share else ""
            lines.append(
                f"  -{d.points:g}  {d.code} ({d.count} x {d.each:g}, "
                f"cap {d.cap:g}{share})"
            )
    score = "?" if report.score is None else f"{report.score:g}"
    label = "Provisional score" if report.shallow else "Score"
    if report.score is None and not report.shallow:
        label = "Score (graded by hand)"
    lines.append(f"{label}: {score} / {report.max_score:g}")
    lines.append(_wrap(f"Rule: {report.rule}", ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.repo`` and print the report.

    Returns
    -------
    int
        0 when the report was printed (whatever the score), 1 when the
        repository could not be read, 2 on usage errors (unknown lab or
        ``--base``).
    """
    if not os.path.isdir(args.repo):
        print(
            f"error: {args.repo} is not a folder; give the top folder of a "
            "git repository",
            file=sys.stderr,
        )
        return 2
    try:
        cfg, _item, points = load_config(load_rubric(args.lab))
    except (RubricError, HistoryConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.base:
        try:
            with gitdata.open_repo(args.repo) as repo:
                known = gitdata.resolve(repo, args.base)
        except gitdata.NotARepository:
            known = "n/a"
        if known is None:
            print(
                f"error: --base {args.base!r} is not a commit of {args.repo}; "
                "give a sha, tag or branch that `git log` shows there",
                file=sys.stderr,
            )
            return 2
    try:
        report = analyze(args.repo, cfg, points, args.base)
    except Exception as exc:  # noqa: BLE001 - a damaged repository: say so, no trace
        print(
            f"error: could not read the history of {args.repo}: {exc}", file=sys.stderr
        )
        return 1
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(render(report, args.all))
    return 0
