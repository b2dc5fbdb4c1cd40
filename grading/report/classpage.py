"""View model of the class page, ``index.html``: the overview of a batch.

Built from the gradebook rows of :mod:`grading.report.gradebook`: the score
distribution, the pass rate per item, the most common problems, who needs
attention (most urgent first) and every submission's row.
"""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grading.report.format import fmt_points, fmt_seconds, number, shorten
from grading.report.items import finding_state, is_suggestion, is_warning
from grading.report.labels import STATUS_LABELS
from grading.report.plots import histogram_svg
from grading.report.render import REPORT_FILES

#: Statuses shown in an item's pass-rate bar, in order (over graded rows only:
#: a row with an item out of time is not graded).
RATE_STATUSES = ("pass", "partial", "fail", "error", "manual")
#: Badge class of a row's status.
ROW_CLASSES = {
    "graded": "ok",
    "error": "error",
    "timeout": "timeout",
    "not_graded": "error",
}
#: Most common problems listed on the class page.
COMMON_LIMIT = 12


def _link(student: str, name: str, folder: Path | None) -> str:
    if folder is None or not (folder / name).is_file():
        return ""
    return f"{quote(student)}/{name}"


def _item_of(row: dict, item_id: str) -> dict | None:
    items = row["record"]["results"]["items"]
    return next((i for i in items if i["id"] == item_id), None)


def _rate(column: dict[str, Any], graded: list[dict]) -> dict[str, Any]:
    """Return the pass-rate bar of one item over the graded submissions."""
    counts: Counter = Counter()
    for row in graded:
        item = _item_of(row, column["id"])
        if item is not None:
            counts[item["status"]] += 1
    total = sum(counts.values())
    parts = []
    for status in RATE_STATUSES:
        if counts[status]:
            parts.append(
                {
                    "status": STATUS_LABELS[status][0],
                    "width": round(100 * counts[status] / total, 2),
                    "label": f"{STATUS_LABELS[status][2]}: {counts[status]}",
                }
            )
    decided = total - counts["manual"]
    if column["max_points"] == 0:
        summary = "not scored (0 points)"
    elif decided:
        summary = f"{round(100 * counts['pass'] / decided)} % passed of {decided}" + (
            f" · {counts['manual']} awaiting review" if counts["manual"] else ""
        )
    else:
        summary = f"awaiting review: {counts['manual']}"
    return {
        "title": column["title"],
        "id": column["id"],
        "parts": parts,
        "summary": summary,
    }


def _common(graded: list[dict], columns: list[dict[str, Any]]) -> list[dict]:
    """Return the most common problems, grouped by check and reason.

    Each is counted once per submission.
    """
    problems: dict[tuple[str, str], dict[str, Any]] = {}
    titles = {c["id"]: c["title"] for c in columns}
    for row in graded:
        seen: set[tuple[str, str]] = set()
        for item in row["record"]["results"]["items"]:
            for f in item["findings"]:
                state = finding_state(f, item["status"])
                key = (f["check"], f["code"] or f["message"][:80])
                if state not in ("fail", "partial", "warning") or key in seen:
                    continue
                seen.add(key)
                entry = problems.setdefault(
                    key,
                    {
                        "check": f["check"],
                        "code": f["code"],
                        "message": f["message"],
                        "item": titles.get(item["id"], item["title"]),
                        "count": 0,
                        "instructor_only": f["audience"] == "instructor",
                    },
                )
                entry["count"] += 1
    common = sorted(problems.values(), key=lambda e: (-e["count"], e["check"]))
    common = common[:COMMON_LIMIT]
    for entry in common:
        entry["share"] = (
            f"{round(100 * entry['count'] / len(graded))} %" if graded else ""
        )
        entry["message"] = shorten(entry["message"], 300)[0]
    return common


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _timeout_reason(record: dict) -> str:
    """Return what a time limit stopped: never a score, so it needs a person."""
    seconds = record["seconds"]
    words = (
        "Timed out"
        + (f" after {fmt_seconds(seconds)}" if seconds is not None else "")
        + (f": {record['message']}" if record["message"] else "")
    )
    res = record["results"]
    late = [i["title"] for i in res["items"] if i["status"] == "timeout"] if res else []
    if late:
        words += f" (not checked: {'; '.join(late)})"
    return words


def _status_reason(row: dict) -> str:
    """Return why a submission's grading did not complete, or ``""``."""
    record = row["record"]
    if row["status"] == "timeout":
        return _timeout_reason(record)
    if row["status"] == "error":
        return f"Grading failed: {record['message'] or 'no reason given'}"
    if row["status"] == "not_graded":
        return f"Not graded: {record['message']}"
    return ""


def _reasons(row: dict) -> tuple[list[str], int]:
    """Return why a submission needs attention and its rank (0 most urgent)."""
    res = row["record"]["results"]
    reasons, rank = [], 9
    first = _status_reason(row)
    if first:
        reasons.append(first)
        rank = 0
    warnings, item_errors = [], []
    if res is not None:
        for item in res["items"]:
            warnings += [f for f in item["findings"] if is_warning(f)]
            if item["status"] == "error":
                item_errors.append(item["title"])
        warnings += [
            f
            for f in res["unassigned"]
            if f["audience"] == "instructor" and f["passed"] is not True
        ]
    if item_errors and row["status"] == "graded":
        reasons.append("Could not check: " + "; ".join(item_errors))
        rank = min(rank, 1)
    if warnings:
        shown = shorten(warnings[0]["message"], 160)[0]
        more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
        reasons.append(
            f"{_plural(len(warnings), 'plausibility warning')}: {shown}{more}"
        )
        rank = min(rank, 2)
    titles = _suggested_titles(res) if res is not None else row["manual_titles"]
    if titles:
        reasons.append(
            f"{_plural(len(titles), 'item')} awaiting review: " + "; ".join(titles)
        )
        rank = min(rank, 3)
    return reasons, rank


def _suggestion_of(item: dict) -> bool:
    return any(f["code"] == "assessment" for f in item["findings"] if is_suggestion(f))


#: Which evidence line of a suggestion the class page shows, first found
#: first: what the table refutes, then what is wrong or missing, then what
#: agrees (the full evidence is in the instructor report).
EVIDENCE_ORDER = (
    "contradicts",
    "called out",
    "wrong",
    "missing",
    "agrees",
    "has ",
    "backed",
    "speaks of",
)


def _contradiction(item: dict) -> str:
    """The one evidence line of a suggestion a person checks first,
    shortened, or ``""``."""
    lines = [
        line.lstrip("- ")
        for f in item["findings"]
        if f["code"] == "assessment"
        for line in f["evidence"].splitlines()
    ]
    for prefix in EVIDENCE_ORDER:
        line = next((x for x in lines if x.startswith(prefix)), None)
        if line is not None:
            return ": " + shorten(line, 200)[0]
    return ""


def _suggested_titles(res: dict) -> list[str]:
    """Titles of the items awaiting review, with the grader's suggestion."""
    out = []
    for item in res["items"]:
        if item["status"] != "manual" or item["max_points"] <= 0:
            continue
        title = item["title"]
        if _suggestion_of(item) and item["suggested_points"] is not None:
            title += (
                f" (suggested {fmt_points(item['suggested_points'])}"
                f" / {fmt_points(item['max_points'])})"
            )
            title += _contradiction(item)
        out.append(title)
    return out


def _to_confirm(rows: list[dict]) -> int:
    """Count the suggestions awaiting confirmation across the class."""
    count = 0
    for row in rows:
        res = row["record"]["results"]
        if res is None:
            continue
        count += sum(
            1 for i in res["items"] if i["status"] == "manual" and _suggestion_of(i)
        )
    return count


def _entry(row: dict, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one row of the class page's tables."""
    record = row["record"]
    folder = record["folder"]
    student = row["student"]
    reasons, rank = _reasons(row)
    has_report = bool(_link(student, REPORT_FILES["instructor_html"], folder))
    return {
        "student": student,
        "status": row["status"],
        "status_class": ROW_CLASSES[row["status"]],
        "score": f"{row['total']} / {row['max']}" if row["total"] else "\u2013",
        "reasons": reasons,
        "instructor_link": _link(student, REPORT_FILES["instructor_html"], folder)
        or _link(student, "grade.log", folder)
        or _link(student, "status.json", folder),
        "instructor_label": "instructor" if has_report else "grading log",
        "student_link": _link(student, REPORT_FILES["html"], folder),
        "cells": [row["cells"][c["id"]] or "\u2013" for c in columns],
        "rank": rank,
    }


def _stats(rows: list[dict], scores: list[float], max_score: float) -> list[dict]:
    """Return the figures at the top of the class page."""
    counts = Counter(r["status"] for r in rows)
    return [
        {"value": len(rows), "label": "submissions"},
        {"value": counts["graded"], "label": "graded"},
        {"value": counts["error"], "label": "grading errors"},
        {"value": counts["timeout"], "label": "timeouts"},
        *(
            [{"value": counts["not_graded"], "label": "not graded"}]
            if counts["not_graded"]
            else []
        ),
        {
            "value": fmt_points(statistics.fmean(scores)) if scores else "\u2013",
            "label": f"mean of {fmt_points(max_score)} points",
        },
        {
            "value": fmt_points(statistics.median(scores)) if scores else "\u2013",
            "label": "median",
        },
        {
            "value": sum(1 for r in rows if r["manual_open"]),
            "label": "with items awaiting review",
        },
        *(
            [
                {
                    "value": _to_confirm(rows),
                    "label": "suggestions to confirm (report --accept-suggestions)",
                }
            ]
            if _to_confirm(rows)
            else []
        ),
    ]


def index_view(
    rows: list[dict], columns: list[dict[str, Any]], title: str, csv_name: str
) -> dict:
    """Build the view model of ``index.html`` (the class overview).

    Parameters
    ----------
    rows : list of dict
        Gradebook rows (:func:`grading.report.gradebook.build_rows`).
    columns : list of dict
        The item columns, in rubric order.
    title : str
        The lab's title.
    csv_name : str
        File name of the gradebook CSV the page links to.
    """
    graded = [r for r in rows if r["score"] is not None]
    scores = [r["score"] for r in graded]
    max_score = max((number(r["max"]) for r in rows), default=0.0)
    table = [_entry(row, columns) for row in rows]
    attention = sorted(
        (e for e in table if e["reasons"]), key=lambda e: (e["rank"], e["student"])
    )
    return {
        "title": title,
        "stats": _stats(rows, scores, max_score),
        "histogram": histogram_svg(scores, max_score) if rows else "",
        "rates": [_rate(column, graded) for column in columns],
        "common": _common(graded, columns),
        "attention": attention,
        "table": table,
        "columns": columns,
        "gradebook_csv": csv_name,
    }
