"""The class gradebook: ``gradebook.csv`` for the LMS and ``index.html``.

Both are built from a grades folder in which every submission has its own
sub-folder ``<grades_dir>/<student>/`` holding ``results.json`` (written by
``grade``) and/or ``status.json`` (written by ``batch`` when the grading did
not complete: ``{"student", "status": "error"|"timeout", "message",
"seconds"}``), plus ``not-graded.json``: the submissions a batch could not
grade at all (``{"submissions": [{"student", "source", "message"}]}``, for
a student id that is not usable as a folder name).

A row's status is ``graded``, ``error``, ``timeout`` (a time limit stopped
some checks: that is not a score, so the row has no total) or
``not_graded``. A missing or corrupt file never stops the gradebook: that
row says ``error`` and why.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

from grading.report.classpage import index_view
from grading.report.format import displayable, fmt_points, number, text
from grading.report.labels import lab_title
from grading.report.normalize import normalize_results
from grading.report.render import render_template
from grading.util.io import read_json, write_atomic

GRADEBOOK_CSV = "gradebook.csv"
INDEX_HTML = "index.html"
STATUS_JSON = "status.json"
NOT_GRADED_JSON = "not-graded.json"
SUMMARY_COLUMNS = ("total", "max", "status", "manual_open", "reason")
#: Longest reason in a CSV cell, in characters.
REASON_LIMIT = 300
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
        :func:`grading.report.normalize_results`) or ``None``.
    """
    folder = Path(folder)
    results_path = folder / "results.json"
    status_path = folder / STATUS_JSON
    record: dict[str, Any] = {
        "student": displayable(folder.name),
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
        state = text(status.get("status"))
        record["status"] = state if state in ("error", "timeout") else "error"
        record["message"] = text(status.get("message")) or f"grading {state}"
        if status.get("seconds") is not None:
            record["seconds"] = number(status.get("seconds"))
        if results_ok:
            record["results"] = normalize_results(results)
        return record
    if results_ok:
        normalized = normalize_results(results)
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


def not_graded_records(grades_dir: Path) -> list[dict[str, Any]]:
    """Read ``not-graded.json`` into gradebook records (status ``not_graded``).

    A corrupt file becomes one ``error`` row that names it, never nothing.
    """
    path = Path(grades_dir) / NOT_GRADED_JSON
    if not path.exists():
        return []
    data, problem = read_json(path)
    entries = data.get("submissions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [
            {
                "student": NOT_GRADED_JSON,
                "folder": None,
                "status": "error",
                "message": problem or f"{path} holds no 'submissions' list",
                "seconds": None,
                "results": None,
            }
        ]
    return [
        {
            "student": text(entry.get("student")) or "(no name)",
            "folder": None,
            "status": "not_graded",
            "message": text(entry.get("message")) or "not graded",
            "seconds": None,
            "results": None,
        }
        for entry in entries
        if isinstance(entry, dict)
    ]


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
                cells[column["id"]] = fmt_points(item["points"])
        manual_open = [
            i for i in by_id.values() if i["status"] == "manual" and i["max_points"] > 0
        ]
        rows.append(
            {
                "student": record["student"],
                "cells": cells,
                "total": fmt_points(res["score"]) if graded else "",
                "score": res["score"] if graded else None,
                "max": fmt_points(res["max_score"] if res else default_max),
                "status": record["status"],
                "manual_open": len(manual_open) if graded else 0,
                "manual_titles": [i["title"] for i in manual_open],
                "record": record,
            }
        )
    return rows


def _reason(row: dict) -> str:
    """Return the first line of why a row has no grade, capped, or ``""``."""
    if row["status"] == "graded":
        return ""
    first = (row["record"]["message"] or row["status"]).strip().splitlines()
    line = first[0] if first else row["status"]
    return line if len(line) <= REASON_LIMIT else line[: REASON_LIMIT - 3] + "..."


def gradebook_csv(rows: list[dict], columns: list[dict[str, Any]]) -> str:
    """Return the gradebook as CSV text (header + one line per submission).

    Columns: ``student``, one per rubric item (its id, in rubric order),
    ``total``, ``max``, ``status`` (graded, error, timeout, not_graded),
    ``manual_open`` (items with points still waiting for a person; their
    cells are empty), ``reason`` (why a row that is not graded has no total;
    empty for graded rows).
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
                _csv_text(_reason(row)),
            ]
        )
    return buffer.getvalue()


def similarity_section(grades_dir: Path) -> dict[str, Any] | None:
    """Return the class page's similarity section (instructor only), or None.

    Built by :func:`grading.private.similarity.view.class_page_section` from
    ``similarity.json``; a released grader has no private part and no section.
    """
    try:
        from grading.private.similarity.view import class_page_section
    except ImportError:
        return None
    return class_page_section(grades_dir)


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
    records += not_graded_records(grades_dir)
    records.sort(key=lambda r: r["student"])
    columns = _rubric_columns(records)
    rows = build_rows(records, columns)
    labs = Counter(r["results"]["lab"] for r in records if r["results"])
    title = lab_title(labs.most_common(1)[0][0]) if labs else "Gradebook"
    csv_path = write_atomic(grades_dir / GRADEBOOK_CSV, gradebook_csv(rows, columns))
    view = index_view(rows, columns, title, GRADEBOOK_CSV)
    view["similarity"] = similarity_section(grades_dir)
    html = render_template("index.html.j2", **view)
    index_path = write_atomic(grades_dir / INDEX_HTML, html)
    return {"csv": csv_path, "index": index_path}
