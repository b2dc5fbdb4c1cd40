"""Turn a history report into findings for the rubric and the reports."""

from __future__ import annotations

from collections import defaultdict

from grading.history.scoring import explain
from grading.pipeline.findings import Finding

MAX_LISTED = 10


def _points(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def to_findings(report: dict, item: str) -> list[Finding]:
    """Return the ``history.rule`` finding and the evidence findings.

    Parameters
    ----------
    report : dict
        From :func:`grading.history.analyze.analyze`.
    item : str
        Rubric item id the findings feed (``git_history``).

    Returns
    -------
    list of Finding
        ``history.rule`` carries the points as ``score`` (a fraction); one
        ``history.<code>`` finding per kind of problem lists the commits or
        paths. When the history cannot be judged (shallow clone, no
        repository) every finding is undecided and ``history.rule`` has code
        ``manual_review``, so the item waits for a person.
    """
    status = report["status"]
    base = report["base"]
    decided = status in ("ok", "empty", "no_student_commits")
    base_line = (
        f"Base: {base['sha'][:8] if base['sha'] else 'none'} ({base['explanation']})."
        if status not in ("not_a_repository", "empty")
        else ""
    )
    summary = explain({"deductions": report.get("deductions", [])})
    if status == "not_a_repository":
        message = report["cannot_judge"][0]
    elif status == "empty":
        message = "The repository has no commits, so the history earns nothing."
    elif status == "no_student_commits":
        message = f"No commits of yours after the template. {base_line}"
    elif status == "shallow" and report["score"] is None:
        message = (
            "Shallow clone: no commit of yours is visible, so the history "
            f"cannot be judged here. {base_line}"
        )
    elif status == "shallow":
        message = (
            f"Shallow clone: only part of the history can be judged; provisional "
            f"{_points(report['score'])} of {_points(report['max_score'])} points "
            f"({summary}). {base_line}"
        )
    else:
        message = (
            f"{_points(report['score'])} of {_points(report['max_score'])} points "
            f"for {len(report['student_commits'])} commit(s) of yours: {summary}. "
            f"{base_line}"
        )
    hint = f"How the points are computed: {report['rule']}"
    if status == "shallow":
        hint = report["cannot_judge"][-1]
    elif status == "not_a_repository":
        hint = (
            "If the archive is all you have, the instructor grades this item by hand."
        )
    rule = Finding(
        check="history.rule",
        item=item,
        passed=(report["fraction"] is not None and report["fraction"] >= 1.0)
        if decided
        else None,
        message=message.strip(),
        hint=hint,
        evidence="\n".join(
            f"-{d['points']:g} {d['code']}: {d['count']} x {d['each']:g}"
            f" (at most {d['cap']:g})"
            for d in report.get("deductions", [])
            if d["points"]
        ),
        score=report["fraction"] if decided else None,
        code="manual_review" if not decided else (status if status != "ok" else "rule"),
        data={
            "points": report["score"],
            "max_points": report["max_score"],
            "base": base,
            "deductions": report.get("deductions", []),
            "cannot_judge": report["cannot_judge"],
        },
    )
    out = [rule]
    verdict = False if decided else None
    by_code: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for row in report["student_commits"]:
        for issue in row["findings"]:
            by_code[issue["code"]].append((row, issue))
    cost = {d["code"]: d for d in report.get("deductions", [])}
    for code, hits in by_code.items():
        row, issue = hits[0]
        price = cost.get(code)
        lost = f" (-{price['points']:g} points)" if price and price["points"] else ""
        more = (
            f" {len(hits)} commits have this problem; the first: "
            if len(hits) > 1
            else " "
        )
        evidence = "\n".join(
            f"{r['short']} {r['subject']!r}: {i['message']}"
            for r, i in hits[:MAX_LISTED]
        )
        if len(hits) > MAX_LISTED:
            evidence += f"\n... and {len(hits) - MAX_LISTED} more"
        out.append(
            Finding(
                check=f"history.{code}",
                item=item,
                passed=verdict,
                message=f"{code.replace('_', ' ').capitalize()}{lost}.{more}"
                f"{row['short']} {row['subject']!r}: {issue['message']}",
                hint=issue["hint"],
                evidence=evidence,
                code=code,
                data={
                    "commits": [
                        {"sha": r["sha"], "subject": r["subject"]} for r, _ in hits[:50]
                    ],
                    "count": len(hits),
                },
            )
        )
    for finding in report["repo_findings"]:
        code = finding["code"]
        if code in ("no_commits", "no_student_commits"):
            continue
        price = cost.get(code)
        lost = f" (-{price['each']:g} points)" if price and price["each"] else ""
        if price and price["each"] and price["points"] < price["each"] * price["count"]:
            lost = f" (-{price['each']:g} points, up to {price['cap']:g} in all)"
        paths = finding.get("paths", [])
        evidence = "\n".join(paths[:MAX_LISTED])
        if len(paths) > MAX_LISTED:
            evidence += f"\n... and {len(paths) - MAX_LISTED} more"
        commits = finding.get("commits", [])
        if commits:
            evidence += (
                ("\n" if evidence else "")
                + "commits: "
                + ", ".join(f"{c['sha'][:8]} {c['subject']!r}" for c in commits[:5])
            )
        out.append(
            Finding(
                check=f"history.{code}",
                item=item,
                passed=verdict,
                message=finding["message"].rstrip(".") + lost + ".",
                hint=finding["hint"],
                evidence=evidence,
                code=code,
                data={"paths": paths[:200], "commits": commits},
            )
        )
    for note in report["base"].get("notes", []):
        out.append(
            Finding(
                check="history.base",
                item="",
                passed=None,
                message=note,
                code="base_note",
                audience="instructor",
            )
        )
    return out
