"""View model of one submission's report: everything the template shows.

Templates only loop and print. This module decides what each audience may
see, in which order, with which label, and how numbers are formatted:

* the **student** view drops instructor-audience findings (plausibility
  warnings, protected-file edits, raw logs), never shows a finding's ``data``
  (it may hold hidden test ids or reference values) except embedded images,
  never shows check ids or the rubric's check weights, and scrubs pytest node
  ids and grader-internal traceback lines from the text it does show;
* the **instructor** view shows everything, with check ids, reason codes,
  suggested points of manual items, raw check details and the environment.

All text coming from ``results.json`` is treated as untrusted: it is coerced
to ``str`` (:mod:`grading.report.normalize`) and escaped by the template
engine. Items and findings are built by :mod:`grading.report.items`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grading.report.format import fmt_points, fmt_seconds, number, shorten, text
from grading.report.items import (
    DETAILS_LIMIT,
    Audience,
    finding_view,
    is_suggestion,
    item_view,
)
from grading.report.labels import BANNERS, CHIPS, SECTIONS, STATUS_LABELS, lab_title
from grading.report.normalize import normalize_results
from grading.report.scrub import scrub_student_text


def _timings_view(res: dict[str, Any]) -> dict[str, Any]:
    timings = dict(res["timings"])
    if not timings:
        for name, check in res["checks"].items():
            if isinstance(check, dict) and "seconds" in check:
                timings[text(name)] = number(check["seconds"])
    rows = []
    longest = max((v for k, v in timings.items() if k != "total"), default=0.0) or 1.0
    for part, seconds in timings.items():
        if part == "total":
            continue
        name = part.replace("_", " ")
        if name.startswith("check:"):
            name = name[len("check:") :].strip() + " check"
        rows.append(
            {
                "part": name,
                "text": fmt_seconds(seconds),
                "width": max(1, round(100 * seconds / longest)),
            }
        )
    total = timings.get("total")
    if total is None and timings:
        total = sum(timings.values())
    return {"rows": rows, "total": fmt_seconds(total) if timings else ""}


def _chips(items: list[dict], raw_items: list[dict]) -> list[dict[str, Any]]:
    """Return the count chips under the score (statuses with at least one item)."""
    counts = {key: 0 for key in STATUS_LABELS}
    for item, raw in zip(items, raw_items, strict=True):
        if item["status"] != "manual" or raw["max_points"] > 0:
            counts[item["status"]] += 1
    chips = []
    for key, words in CHIPS:
        status_class, icon, _ = STATUS_LABELS[key]
        if counts[key]:
            chips.append(
                {
                    "status_class": status_class,
                    "icon": icon,
                    "count": counts[key],
                    "words": words,
                }
            )
    return chips


def _sections(items: list[dict]) -> list[dict[str, Any]]:
    """Group the item views into the report's sections, in :data:`SECTIONS` order."""
    sections = []
    for key, title, lead, statuses in SECTIONS:
        members = [i for i in items if i["status"] in statuses]
        if members:
            sections.append(
                {
                    "key": key,
                    "title": title,
                    "lead": lead,
                    "members": members,
                    "finding_template": "_passage.html.j2"
                    if key == "review"
                    else "_finding.html.j2",
                }
            )
    return sections


def _item_groups(items: list[dict], parts: list[dict]) -> list[dict[str, Any]]:
    """Group the item views by the rubric's parts (one untitled group if one part)."""
    if not parts:
        return [{"title": "", "points_text": "", "max_text": "", "members": items}]
    groups = [
        {**part, "members": [i for i in items if i["part"] == part["id"]]}
        for part in parts
    ]
    known = {part["id"] for part in parts}
    rest = [i for i in items if i["part"] not in known]
    if rest:
        groups.append(
            {"title": "Other items", "points_text": "", "max_text": "", "members": rest}
        )
    return [g for g in groups if g["members"]]


def _warnings(res: dict[str, Any], audience: Audience, roots: list[Path]) -> list:
    """Return the instructor-audience findings, each with where it was found."""
    warnings = []
    for item in res["items"]:
        for f in item["findings"]:
            if f["audience"] == "instructor" and not is_suggestion(f):
                warnings.append(
                    {
                        "where": item["title"],
                        "finding": finding_view(f, audience, "", roots),
                    }
                )
    for f in res["unassigned"]:
        if f["audience"] == "instructor":
            warnings.append(
                {"where": "Submission", "finding": finding_view(f, audience, "", roots)}
            )
    return warnings


def _raw_logs(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each check's raw details, shortened, for the instructor view."""
    raw_logs = []
    for name, check in res["checks"].items():
        check = check if isinstance(check, dict) else {"details": check}
        dumped = json.dumps(
            check.get("details", {}), indent=2, ensure_ascii=False, default=str
        )
        body, cut = shorten(dumped, DETAILS_LIMIT)
        raw_logs.append(
            {
                "name": text(name),
                "seconds": fmt_seconds(check.get("seconds", 0)),
                "body": body,
                "note": f"{cut} more characters left out" if cut else "",
            }
        )
    return raw_logs


def _banner(res: dict[str, Any], student: bool) -> dict[str, Any] | None:
    """Return the banner of a grading that did not complete, or None."""
    if res["status"] not in BANNERS:
        return None
    detail = res["message"]
    if not detail:
        for f in res["unassigned"] + [f for i in res["items"] for f in i["findings"]]:
            if f["code"] in ("grader_error", "timeout") and (
                not student or f["audience"] == "student"
            ):
                detail = f["message"]
                break
    title, words = BANNERS[res["status"]]
    clean = scrub_student_text if student else (lambda s: s)
    return {
        "kind": res["status"],
        "title": title,
        "text": words,
        "detail": clean(detail),
    }


def _score_view(res: dict[str, Any]) -> dict[str, Any]:
    """Return the score, its bar and the points still waiting for a person."""
    pending = sum(
        i["max_points"] for i in res["items"] if i["status"] in ("manual", "timeout")
    )
    max_score = res["max_score"]
    percent = round(100 * res["score"] / max_score) if max_score > 0 else 0
    return {
        "score_text": fmt_points(res["score"]),
        "max_text": fmt_points(max_score),
        "score": res["score"],
        "max_score": max_score,
        "percent": percent,
        "bar_width": max(0, min(100, percent)),
        "pending_text": (
            f"Up to {fmt_points(pending)} more points after review."
            if pending > 0
            else ""
        ),
    }


def submission_view(
    results: dict[str, Any],
    audience: Audience,
    roots: list[Path] | None = None,
    links_base: str = "",
) -> dict[str, Any]:
    """Build the view model of one submission's report.

    Parameters
    ----------
    results : dict
        The content of ``results.json`` (any missing field is tolerated).
    audience : {"student", "instructor"}
        Who the report is for; see the module docstring for the difference.
    roots : list of Path, optional
        Folders images may be embedded from (submission, report folder).
    links_base : str, optional
        ``https://`` URL that README paths of items are joined to.

    Returns
    -------
    dict
        The view model the templates render.
    """
    res = normalize_results(results)
    student = audience == "student"
    roots = list(roots or [])
    items = [item_view(i, audience, roots, links_base) for i in res["items"]]
    other = [
        finding_view(f, audience, "", roots)
        for f in res["unassigned"]
        if f["audience"] == "student"
    ]
    environment = [
        {"key": text(k), "value": text(v)} for k, v in res["environment"].items()
    ]
    return {
        "audience": audience,
        "is_instructor": not student,
        "view_name": "Instructor view" if not student else "Student view",
        "lab": res["lab"],
        "lab_title": res["title"] or lab_title(res["lab"]),
        "student": res["student"] or Path(res["submission"]).name or "submission",
        "graded_at": res["graded_at"].replace("T", " ")[:19],
        "grader_version": res["grader_version"],
        "status": res["status"],
        "banner": _banner(res, student),
        **_score_view(res),
        "chips": _chips(items, res["items"]),
        "parts": res["parts"],
        "items": items,
        "item_groups": _item_groups(items, res["parts"]),
        "sections": _sections(items),
        "other": other,
        "warnings": [] if student else _warnings(res, audience, roots),
        "raw_logs": [] if student else _raw_logs(res),
        "environment": [] if student else environment,
        "submission": res["submission"] if not student else "",
        "timings": _timings_view(res),
        "has_person_points": any(i["source_kind"] == "person" for i in items),
    }
