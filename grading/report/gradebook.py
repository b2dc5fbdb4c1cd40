"""The class gradebook: ``gradebook.csv`` for the LMS and ``index.html``.

Both are built from a grades folder in which every submission has its own
sub-folder ``<grades_dir>/<student>/`` holding ``results.json`` (written by
``grade``) and/or ``status.json`` (written by ``batch`` when grading itself
failed: ``{"student", "status": "error"|"timeout", "message", "seconds"}``).
A missing or corrupt file never stops the gradebook: that row says ``error``
and why.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grading.report import views
from grading.report.plots import histogram_svg
from grading.report.render import REPORT_FILES, render_template
from grading.util.io import read_json, write_atomic

GRADEBOOK_CSV = "gradebook.csv"
INDEX_HTML = "index.html"
SUMMARY_COLUMNS = ("total", "max", "status", "manual_open")
#: Folders of a grades folder that belong to the batch, not to a student.
RESERVED_DIRS = frozenset({"slurm"})


def submission_dirs(grades_dir: Path) -> list[Path]:
    """Return the sub-folders of ``grades_dir`` that hold a submission's grading.

    Hidden folders (``.partial``, ``.work``) and the batch's own folders
    (:data:`RESERVED_DIRS`, e.g. ``slurm/``) are skipped; every other folder
    counts, so a folder without ``results.json`` shows up as an error row
    rather than silently disappearing.
    """
    grades_dir = Path(grades_dir)
    return sorted(
        (
            p
            for p in grades_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in RESERVED_DIRS
        ),
        key=lambda p: p.name,
    )


def load_submission(folder: Path) -> dict[str, Any]:
    """Read one submission folder into a gradebook record.

    Returns
    -------
    dict
        ``{"student", "folder", "status", "message", "seconds", "results"}``
        where ``results`` is the normalised ``results.json`` (see
        :func:`grading.report.views.normalize_results`) or ``None``.
    """
    folder = Path(folder)
    results_path = folder / "results.json"
    status_path = folder / "status.json"
    record: dict[str, Any] = {
        "student": folder.name,
        "folder": folder,
        "status": "error",
        "message": "",
        "seconds": None,
        "results": None,
    }
    results, results_error = read_json(results_path)
    status, status_error = (None, "")
    if status_path.exists():
        status, status_error = read_json(status_path)
    results_ok = isinstance(results, dict) and isinstance(results.get("items"), list)
    if results is not None and not results_ok:
        results_error = f"{results_path} does not hold graded results (no 'items' list)"
    status_newer = status_path.exists() and (
        not results_path.exists()
        or status_path.stat().st_mtime >= results_path.stat().st_mtime
    )
    if isinstance(status, dict) and status_newer:
        state = views.text(status.get("status"))
        record["status"] = state if state in ("error", "timeout") else "error"
        record["message"] = views.text(status.get("message")) or f"grading {state}"
        if status.get("seconds") is not None:
            record["seconds"] = views.number(status.get("seconds"))
        if results_ok:
            record["results"] = views.normalize_results(results)
        return record
    if results_ok:
        normalized = views.normalize_results(results)
        record["results"] = normalized
        record["status"] = normalized["status"]
        record["message"] = normalized["message"]
        return record
    if not results_path.exists() and not status_path.exists():
        record["message"] = "no results.json or status.json (not graded yet?)"
        return record
    reasons = [r for r in (results_error, status_error) if r]
    if status_path.exists() and status is not None and not isinstance(status, dict):
        reasons.append(f"{status_path} is not a JSON object")
    record["message"] = "; ".join(reasons) or "no results.json or status.json"
    return record


def _rubric_columns(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the item columns: the rubric's order, then any extra item ids."""
    labs = Counter(
        r["results"]["lab"] for r in records if r["results"] and r["results"]["lab"]
    )
    columns: list[dict[str, Any]] = []
    seen: set[str] = set()
    if labs:
        try:
            from grading.pipeline.rubric import load_rubric

            rubric = load_rubric(labs.most_common(1)[0][0])
            # Items of some template versions only (``requires``) get a
            # column when a result has them (below).
            for item in (i for i in rubric.items if not i.requires):
                columns.append(
                    {"id": item.id, "title": item.title, "max_points": item.points}
                )
                seen.add(item.id)
        except Exception:  # noqa: BLE001 - fall back to the items in the results
            pass
    for record in records:
        if record["results"] is None:
            continue
        for item in record["results"]["items"]:
            if item["id"] not in seen:
                seen.add(item["id"])
                columns.append(
                    {
                        "id": item["id"],
                        "title": item["title"],
                        "max_points": item["max_points"],
                    }
                )
    return columns


def _csv_text(value: str) -> str:
    """Neutralise spreadsheet formulas in a text cell (``=``, ``+``, ``-``, ``@``)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def build_rows(
    records: list[dict[str, Any]], columns: list[dict[str, Any]]
) -> list[dict]:
    """Compute one gradebook row per record (the CSV and the HTML share it)."""
    default_max = sum(c["max_points"] for c in columns)
    rows = []
    for record in records:
        res = record["results"]
        graded = record["status"] == "graded" and res is not None
        by_id = {i["id"]: i for i in res["items"]} if res else {}
        cells = {}
        for column in columns:
            item = by_id.get(column["id"])
            if not graded or item is None or item["status"] == "manual":
                cells[column["id"]] = ""
            else:
                cells[column["id"]] = views.fmt_points(item["points"])
        manual_open = [
            i for i in by_id.values() if i["status"] == "manual" and i["max_points"] > 0
        ]
        rows.append(
            {
                "student": record["student"],
                "cells": cells,
                "total": views.fmt_points(res["score"]) if graded else "",
                "score": res["score"] if graded else None,
                "max": views.fmt_points(res["max_score"] if res else default_max),
                "status": record["status"],
                "manual_open": len(manual_open) if graded else 0,
                "manual_titles": [i["title"] for i in manual_open],
                "record": record,
            }
        )
    return rows


def gradebook_csv(rows: list[dict], columns: list[dict[str, Any]]) -> str:
    """Return the gradebook as CSV text (header + one line per submission).

    Columns: ``student``, one per rubric item (its id, in rubric order),
    ``total``, ``max``, ``status`` (graded, error, timeout), ``manual_open``
    (items with points still waiting for a person; their cells are empty).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *[c["id"] for c in columns], *SUMMARY_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                _csv_text(row["student"]),
                *[row["cells"][c["id"]] for c in columns],
                row["total"],
                row["max"],
                row["status"],
                row["manual_open"],
            ]
        )
    return buffer.getvalue()


def _link(student: str, name: str, folder: Path) -> str:
    return f"{quote(student)}/{name}" if (folder / name).is_file() else ""


def index_view(rows: list[dict], columns: list[dict[str, Any]], title: str) -> dict:
    """Build the view model of ``index.html`` (the class overview)."""
    graded = [r for r in rows if r["score"] is not None]
    scores = [r["score"] for r in graded]
    max_score = max((views.number(r["max"]) for r in rows), default=0.0)
    # Pass rate per item, over the graded submissions that have it.
    rates = []
    for column in columns:
        counts = Counter()
        for row in graded:
            item = next(
                (
                    i
                    for i in row["record"]["results"]["items"]
                    if i["id"] == column["id"]
                ),
                None,
            )
            if item is not None:
                counts[item["status"]] += 1
        total = sum(counts.values())
        parts = []
        for status in ("pass", "partial", "fail", "error", "manual"):
            if counts[status]:
                parts.append(
                    {
                        "status": views.STATUS_LABELS[status][0],
                        "width": round(100 * counts[status] / total, 2),
                        "label": f"{views.STATUS_LABELS[status][2]}: {counts[status]}",
                    }
                )
        decided = total - counts["manual"]
        if column["max_points"] == 0:
            summary = "not scored (0 points)"
        elif decided:
            summary = (
                f"{round(100 * counts['pass'] / decided)} % passed of {decided}"
                + (f" · {counts['manual']} awaiting review" if counts["manual"] else "")
            )
        else:
            summary = f"awaiting review: {counts['manual']}"
        rates.append(
            {
                "title": column["title"],
                "id": column["id"],
                "parts": parts,
                "summary": summary,
            }
        )
    # Most common problems: grouped by check and reason, counted per submission.
    problems: dict[tuple[str, str], dict[str, Any]] = {}
    titles = {c["id"]: c["title"] for c in columns}
    for row in graded:
        res = row["record"]["results"]
        seen: set[tuple[str, str]] = set()
        for item in res["items"]:
            for f in item["findings"]:
                state = views.finding_state(f, item["status"])
                if state not in ("fail", "partial", "warning"):
                    continue
                key = (f["check"], f["code"] or f["message"][:80])
                if key in seen:
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
    common = sorted(problems.values(), key=lambda e: (-e["count"], e["check"]))[:12]
    for entry in common:
        entry["share"] = (
            f"{round(100 * entry['count'] / len(graded))} %" if graded else ""
        )
        entry["message"] = views.shorten(entry["message"], 300)[0]
    # Who needs attention, most urgent first.
    attention = []
    table = []
    for row in rows:
        record = row["record"]
        res = record["results"]
        reasons = []
        rank = 9
        if row["status"] == "timeout":
            seconds = record["seconds"]
            reasons.append(
                "Timed out"
                + (
                    f" after {views.fmt_seconds(seconds)}"
                    if seconds is not None
                    else ""
                )
                + (f": {record['message']}" if record["message"] else "")
            )
            rank = 0
        elif row["status"] == "error":
            reasons.append(f"Grading failed: {record['message'] or 'no reason given'}")
            rank = 0
        warnings = []
        item_errors = []
        if res is not None:
            for item in res["items"]:
                warnings += [
                    f
                    for f in item["findings"]
                    if f["audience"] == "instructor" and f["passed"] is not True
                ]
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
            first = views.shorten(warnings[0]["message"], 160)[0]
            more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
            reasons.append(
                f"{len(warnings)} plausibility warning"
                f"{'s' if len(warnings) != 1 else ''}: {first}{more}"
            )
            rank = min(rank, 2)
        if row["manual_titles"]:
            reasons.append(
                f"{len(row['manual_titles'])} item"
                f"{'s' if len(row['manual_titles']) != 1 else ''} awaiting "
                "review: " + "; ".join(row["manual_titles"])
            )
            rank = min(rank, 3)
        state_class = {"graded": "ok", "error": "error", "timeout": "error"}[
            row["status"]
        ]
        entry = {
            "student": row["student"],
            "status": row["status"],
            "status_class": state_class,
            "score": f"{row['total']} / {row['max']}" if row["total"] else "\u2013",
            "reasons": reasons,
            "instructor_link": _link(
                row["student"], REPORT_FILES["instructor_html"], record["folder"]
            )
            or _link(row["student"], "grade.log", record["folder"])
            or _link(row["student"], "status.json", record["folder"]),
            "instructor_label": "instructor"
            if (record["folder"] / REPORT_FILES["instructor_html"]).is_file()
            else "grading log",
            "student_link": _link(
                row["student"], REPORT_FILES["html"], record["folder"]
            ),
            "cells": [row["cells"][c["id"]] or "\u2013" for c in columns],
            "rank": rank,
        }
        table.append(entry)
        if reasons:
            attention.append(entry)
    attention.sort(key=lambda e: (e["rank"], e["student"]))
    counts = Counter(r["status"] for r in rows)
    return {
        "title": title,
        "stats": [
            {"value": len(rows), "label": "submissions"},
            {"value": counts["graded"], "label": "graded"},
            {"value": counts["error"], "label": "grading errors"},
            {"value": counts["timeout"], "label": "timeouts"},
            {
                "value": views.fmt_points(statistics.fmean(scores))
                if scores
                else "\u2013",
                "label": f"mean of {views.fmt_points(max_score)} points",
            },
            {
                "value": views.fmt_points(statistics.median(scores))
                if scores
                else "\u2013",
                "label": "median",
            },
            {
                "value": sum(1 for r in rows if r["manual_open"]),
                "label": "with items awaiting review",
            },
        ],
        "histogram": histogram_svg(scores, max_score) if rows else "",
        "rates": rates,
        "common": common,
        "attention": attention,
        "table": table,
        "columns": columns,
        "gradebook_csv": GRADEBOOK_CSV,
    }


def write_gradebook(grades_dir: Path) -> dict[str, Path]:
    """Write ``gradebook.csv`` and ``index.html`` for a folder of gradings.

    Parameters
    ----------
    grades_dir : Path
        Folder with one sub-folder per submission, each holding
        ``results.json`` and/or ``status.json``.

    Returns
    -------
    dict
        ``{"csv": Path, "index": Path}``.

    Raises
    ------
    FileNotFoundError
        If ``grades_dir`` is not a folder.
    """
    grades_dir = Path(grades_dir)
    if not grades_dir.is_dir():
        raise FileNotFoundError(f"{grades_dir} is not a folder of graded submissions")
    records = [load_submission(folder) for folder in submission_dirs(grades_dir)]
    columns = _rubric_columns(records)
    rows = build_rows(records, columns)
    labs = Counter(r["results"]["lab"] for r in records if r["results"])
    title = views.lab_title(labs.most_common(1)[0][0]) if labs else "Gradebook"
    csv_path = write_atomic(grades_dir / GRADEBOOK_CSV, gradebook_csv(rows, columns))
    html = render_template("index.html.j2", **index_view(rows, columns, title))
    index_path = write_atomic(grades_dir / INDEX_HTML, html)
    return {"csv": csv_path, "index": index_path}
