"""Turn a history report into findings for the rubric and the reports.

One ``history.rule`` finding carries the points (as a fraction in
``score``); one ``history.<code>`` finding per kind of problem lists the
commits or paths; instructor-only ``history.base`` findings carry the notes
met while deciding the base. Every string in them was capped when the report
was built (:func:`grading.history.report.shown`).
"""

from __future__ import annotations

from collections import defaultdict

from grading.history.report import CommitRow, HistoryReport, Issue, RepoIssue
from grading.history.scoring import explain
from grading.pipeline.findings import Finding

MAX_LISTED = 10
DECIDED = ("ok", "empty", "no_student_commits")


def _points(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def to_findings(report: HistoryReport, item: str) -> list[Finding]:
    """Return the ``history.rule`` finding and the evidence findings.

    Parameters
    ----------
    report : HistoryReport
        From :func:`grading.history.analyze.analyze`.
    item : str
        Rubric item id the findings feed (``[history] item`` of the rubric).

    Returns
    -------
    list of Finding
        When the history cannot be judged (shallow clone, no repository, over
        a reading limit) every finding is undecided and ``history.rule`` has
        code ``manual_review``, so the item waits for a person.
    """
    decided = report.status in DECIDED
    out = [_rule_finding(report, item, decided)]
    out += _commit_findings(report, item, decided)
    out += _repo_findings(report, item, decided)
    out += [
        Finding(
            check="history.base",
            item="",
            passed=None,
            message=note,
            code="base_note",
            audience="instructor",
        )
        for note in report.base.notes
    ]
    return out


def _rule_message(report: HistoryReport) -> tuple[str, str]:
    """Return ``(message, hint)`` of the ``history.rule`` finding."""
    base = report.base
    base_line = ""
    if report.status not in ("not_a_repository", "empty", "too_large"):
        sha = base.sha[:8] if base.sha else "none"
        base_line = f"Base: {sha} ({base.explanation})."
        if base.convention:
            base_line += f" Convention: {base.convention}."
    summary = explain(report.deductions)
    score, full = _points(report.score), _points(report.max_score)
    hint = f"How the points are computed: {report.rule}"
    if report.status in ("not_a_repository", "too_large"):
        hint = "The instructor grades this item by hand."
        return report.cannot_judge[0], hint
    if report.status == "empty":
        return "The repository has no commits, so the history earns nothing.", hint
    if report.status == "no_student_commits":
        return f"No commits of yours after the template. {base_line}", hint
    if report.status == "shallow":
        hint = report.cannot_judge[-1]
        if report.score is None:
            return (
                "Shallow clone: no commit of yours is visible, so the history "
                f"cannot be judged here. {base_line}",
                hint,
            )
        return (
            "Shallow clone: only part of the history can be judged; provisional "
            f"{score} of {full} points ({summary}). {base_line}",
            hint,
        )
    return (
        f"{score} of {full} points for {report.student_commit_count} commit(s) "
        f"of yours: {summary}. {base_line}",
        hint,
    )


def _rule_finding(report: HistoryReport, item: str, decided: bool) -> Finding:
    message, hint = _rule_message(report)
    code = "manual_review"
    if decided:
        code = report.status if report.status != "ok" else "rule"
    return Finding(
        check="history.rule",
        item=item,
        passed=(report.fraction is not None and report.fraction >= 1.0)
        if decided
        else None,
        message=message.strip(),
        hint=hint,
        evidence="\n".join(
            f"-{d.points:g} {d.code}: {d.count} x {d.each:g} (at most {d.cap:g}"
            + (f", share x {d.share:g}" if d.share else "")
            + ")"
            for d in report.deductions
            if d.points
        ),
        score=report.fraction if decided else None,
        code=code,
        data={
            "points": report.score,
            "max_points": report.max_score,
            "base": report.base.to_dict(),
            "deductions": [d.to_dict() for d in report.deductions],
            "cannot_judge": list(report.cannot_judge),
        },
    )


def _commit_findings(report: HistoryReport, item: str, decided: bool) -> list[Finding]:
    by_code: dict[str, list[tuple[CommitRow, Issue]]] = defaultdict(list)
    for row in report.student_commits:
        for issue in row.findings:
            by_code[issue.code].append((row, issue))
    cost = {d.code: d for d in report.deductions}
    out = []
    for code, hits in by_code.items():
        row, issue = hits[0]
        price = cost.get(code)
        lost = f" (-{price.points:g} points)" if price and price.points else ""
        more = (
            f" {len(hits)} commits have this problem; the first: "
            if len(hits) > 1
            else " "
        )
        evidence = "\n".join(
            f"{r.short} '{r.subject}': {i.message}" for r, i in hits[:MAX_LISTED]
        )
        if len(hits) > MAX_LISTED:
            evidence += f"\n... and {len(hits) - MAX_LISTED} more"
        out.append(
            Finding(
                check=f"history.{code}",
                item=item,
                passed=False if decided else None,
                message=f"{code.replace('_', ' ').capitalize()}{lost}.{more}"
                f"{row.short} '{row.subject}': {issue.message}",
                hint=issue.hint,
                evidence=evidence,
                code=code,
                data={
                    "commits": [
                        {"sha": r.sha, "subject": r.subject} for r, _ in hits[:50]
                    ],
                    "count": len(hits),
                },
            )
        )
    return out


def _repo_findings(report: HistoryReport, item: str, decided: bool) -> list[Finding]:
    cost = {d.code: d for d in report.deductions}
    out = []
    for finding in report.repo_findings:
        if finding.code in ("no_commits", "no_student_commits"):
            continue
        out.append(
            Finding(
                check=f"history.{finding.code}",
                item=item,
                passed=False if decided else None,
                message=finding.message.rstrip(".")
                + _lost(cost.get(finding.code))
                + ".",
                hint=finding.hint,
                evidence=_repo_evidence(finding),
                code=finding.code,
                data={
                    "paths": list(finding.paths),
                    "path_count": finding.path_count,
                    "commits": [c.to_dict() for c in finding.commits],
                },
            )
        )
    return out


def _lost(price) -> str:
    if not price or not price.each:
        return ""
    if price.points < price.each * price.count:
        return f" (-{price.each:g} points, up to {price.cap:g} in all)"
    return f" (-{price.each:g} points)"


def _repo_evidence(finding: RepoIssue) -> str:
    evidence = "\n".join(finding.paths[:MAX_LISTED])
    if finding.path_count > MAX_LISTED:
        evidence += f"\n... and {finding.path_count - MAX_LISTED} more"
    if finding.commits:
        evidence += (
            ("\n" if evidence else "")
            + "commits: "
            + ", ".join(f"{c.sha[:8]} '{c.subject}'" for c in finding.commits[:5])
        )
    return evidence
