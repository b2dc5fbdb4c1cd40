"""Normalisation of ``results.json``: every field the reports read, typed.

``results.json`` is the boundary between grading and rendering; a report
must render whatever it holds (an old schema, a half-written file, hostile
text). These functions fill in what is missing and coerce what is there.
"""

from __future__ import annotations

from typing import Any

from grading.report.format import fmt_points, number, text
from grading.report.labels import STATUS_LABELS


def normalize_finding(raw: Any) -> dict[str, Any]:
    """Return a finding dict with every field present and of the right type."""
    if not isinstance(raw, dict):
        raw = {"message": text(raw)}
    passed = raw.get("passed")
    score = raw.get("score")
    data = raw.get("data")
    return {
        "check": text(raw.get("check")),
        "item": text(raw.get("item")),
        "passed": passed if passed in (True, False) else None,
        "message": text(raw.get("message")),
        "hint": text(raw.get("hint")),
        "evidence": text(raw.get("evidence")),
        "score": None if score is None else max(0.0, min(1.0, number(score))),
        "code": text(raw.get("code")),
        "audience": "instructor" if raw.get("audience") == "instructor" else "student",
        "data": data if isinstance(data, dict) else {},
    }


def normalize_item(raw: Any, index: int) -> dict[str, Any]:
    """Return an item dict with every field present and of the right type."""
    if not isinstance(raw, dict):
        raw = {}
    status = text(raw.get("status"))
    if status not in STATUS_LABELS:
        status = "error"
    override = raw.get("override") if isinstance(raw.get("override"), dict) else None
    findings = raw.get("findings") if isinstance(raw.get("findings"), list) else []
    suggested = raw.get("suggested_points")
    return {
        "id": text(raw.get("id")) or f"item-{index + 1}",
        "title": text(raw.get("title")) or text(raw.get("id")) or f"Item {index + 1}",
        "points": number(raw.get("points")),
        "max_points": number(raw.get("max_points")),
        "kind": text(raw.get("kind")) or "auto",
        "part": text(raw.get("part")),
        "status": status,
        "source": text(raw.get("source")) or "check",
        "suggested_points": None if suggested is None else number(suggested),
        "override": override,
        "readme": text(raw.get("readme")),
        "findings": [normalize_finding(f) for f in findings],
    }


def normalize_results(results: Any) -> dict[str, Any]:
    """Return ``results`` with the fields the reports read present and typed."""
    if not isinstance(results, dict):
        results = {}
    items_raw = results.get("items") if isinstance(results.get("items"), list) else []
    unassigned = results.get("unassigned")
    timings = results.get("timings") if isinstance(results.get("timings"), dict) else {}
    checks = results.get("checks") if isinstance(results.get("checks"), dict) else {}
    env = results.get("environment")
    status = text(results.get("status")) or "graded"
    items = [normalize_item(raw, i) for i, raw in enumerate(items_raw)]
    if status == "graded" and any(i["status"] == "timeout" for i in items):
        status = "timeout"  # an item a time limit stopped is not a grade
    max_score = results.get("max_score")
    return {
        "lab": text(results.get("lab")),
        "title": text(results.get("title")),
        "student": text(results.get("student")),
        "submission": text(results.get("submission")),
        "status": status if status in ("graded", "error", "timeout") else "error",
        "message": text(results.get("message") or results.get("error")),
        "graded_at": text(results.get("graded_at")),
        "grader_version": text(results.get("grader_version")),
        "score": round(sum(i["points"] for i in items), 2)
        if items
        else number(results.get("score")),
        "max_score": number(max_score)
        if max_score is not None
        else sum(i["max_points"] for i in items),
        "items": items,
        "unassigned": [normalize_finding(f) for f in unassigned]
        if isinstance(unassigned, list)
        else [],
        "checks": checks,
        "timings": {text(k): number(v) for k, v in timings.items()},
        "environment": env if isinstance(env, dict) else {},
        "parts": _parts(results.get("parts")),
    }


def _parts(raw: Any) -> list[dict[str, Any]]:
    """The per-part totals of ``results["parts"]``, shown when there are two or more."""
    rows = [
        {
            "id": text(p.get("id")),
            "title": text(p.get("title")) or text(p.get("id")) or "Main part",
            "points_text": fmt_points(number(p.get("points"))),
            "max_text": fmt_points(number(p.get("max_points"))),
        }
        for p in (raw if isinstance(raw, list) else [])
        if isinstance(p, dict)
    ]
    return rows if len(rows) > 1 else []
