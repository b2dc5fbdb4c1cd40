"""View models of rubric items and of their findings.

The student view drops instructor-audience findings, never shows a finding's
``data`` (it may hold hidden test ids or reference values) except embedded
images, never shows check ids, and scrubs the text it does show
(:mod:`grading.report.scrub`); the instructor view shows everything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from grading.report.format import fmt_points, shorten, text
from grading.report.images import embed_images
from grading.report.labels import EVIDENCE_LABELS, FINDING_LABELS, STATUS_LABELS
from grading.report.scrub import scrub_student_text

Audience = str  # "student" or "instructor"

#: Longest evidence shown in HTML per finding, in characters.
EVIDENCE_LIMIT_HTML = 20_000
#: Longest message or hint shown per finding, in characters.
MESSAGE_LIMIT = 4_000
#: Longest raw check details shown in the instructor view, in characters.
DETAILS_LIMIT = 30_000


#: Codes of findings that suggest a score to a person (the pre-assessment of
#: an answer): shown with their item, never as warnings.
SUGGESTION_CODES = ("assessment", "not_assessed")


def is_suggestion(finding: dict[str, Any]) -> bool:
    """True for a finding that suggests a score for a person to confirm."""
    return finding["code"] in SUGGESTION_CODES


def is_warning(finding: dict[str, Any]) -> bool:
    """True for an instructor-only finding that needs a look (not a suggestion)."""
    return (
        finding["audience"] == "instructor"
        and finding["passed"] is not True
        and not is_suggestion(finding)
    )


def revealed(finding: dict[str, Any], item: dict[str, Any]) -> bool:
    """True when a student may see ``finding`` of ``item``.

    Student findings always; a suggestion kept from the student
    (``data["reveal"] == "after_review"``) once a person decided the item.
    """
    if finding["audience"] != "instructor":
        return True
    return (
        is_suggestion(finding)
        and finding["data"].get("reveal") == "after_review"
        and item["source"] == "override"
        and bool(item["override"])
    )


def finding_state(finding: dict[str, Any], item_status: str = "") -> str:
    """Return ``ok``, ``partial``, ``fail``, ``review``, ``warning``, ``info``
    or ``timeout`` (a check a time limit stopped: neither passed nor failed).
    A suggestion is ``review`` while its item waits for a person, ``info``
    after.
    """
    if is_suggestion(finding):
        return "review" if item_status == "manual" else "info"
    if finding["audience"] == "instructor" and finding["passed"] is not True:
        return "warning"
    if finding["code"] == "timeout" and finding["passed"] is not True:
        return "timeout"
    earned = finding["score"]
    if earned is None and finding["passed"] is not None:
        earned = 1.0 if finding["passed"] else 0.0
    if earned is None:
        return "review" if item_status == "manual" else "info"
    if earned >= 1:
        return "ok"
    return "partial" if earned > 0 else "fail"


def finding_view(
    finding: dict[str, Any],
    audience: Audience,
    item_status: str,
    roots: list[Path],
) -> dict[str, Any]:
    """Return what a template prints for one finding."""
    state = finding_state(finding, item_status)
    icon, label = FINDING_LABELS[state]
    student = audience == "student"
    clean = scrub_student_text if student else (lambda s: s)
    evidence, cut = shorten(finding["evidence"], EVIDENCE_LIMIT_HTML)
    evidence = clean(evidence)
    area = finding["check"].split(".", 1)[0]
    images, image_notes = embed_images(finding["data"], roots)
    view = {
        "state": state,
        "icon": icon,
        "label": label,
        "message": clean(shorten(finding["message"], MESSAGE_LIMIT)[0])
        or "(no message)",
        "hint": clean(shorten(finding["hint"], MESSAGE_LIMIT)[0]),
        "evidence": evidence,
        "evidence_note": f"{cut} more characters left out" if cut else "",
        "evidence_label": EVIDENCE_LABELS.get(area, "Evidence")
        if student
        else EVIDENCE_LABELS.get(area, "Evidence").replace(" your ", " the "),
        "images": images,
        "image_notes": [] if student else image_notes,
        "instructor_only": finding["audience"] == "instructor",
        "check": "" if student else finding["check"],
        "code": "" if student else finding["code"],
        "data_json": "",
        "repeat_note": "",
        "not_run": finding["code"] == "not_run",
    }
    if not student and finding["data"]:
        dumped = json.dumps(finding["data"], indent=2, ensure_ascii=False, default=str)
        view["data_json"] = shorten(dumped, DETAILS_LIMIT)[0]
    return view


def _source_text(item: dict[str, Any]) -> tuple[str, str]:
    """Return ``(kind, words)`` saying who decided the item's points."""
    if item["source"] == "override" and item["override"]:
        reviewer = text(item["override"].get("reviewer")) or "a reviewer"
        return "person", f"Decided by {reviewer}"
    if item["status"] == "manual" and item["max_points"] == 0:
        return "waiting", "Not part of the score"
    if item["status"] == "manual":
        return "waiting", "Waiting for a person"
    if item["status"] == "timeout":
        return "waiting", "Not scored: a time limit stopped its checks"
    return "check", "Scored by automatic checks"


def _points_text(item: dict[str, Any]) -> str:
    """Return ``"1.5 / 4"``, ``"– / 1"`` (not scored yet) or ``"–"`` (no points)."""
    maximum = fmt_points(item["max_points"])
    if item["status"] in ("manual", "timeout"):
        return "\u2013" if item["max_points"] == 0 else f"\u2013 / {maximum}"
    return f"{fmt_points(item['points'])} / {maximum}"


def _readme_text(readme: str) -> str:
    """Return ``l03_x/README.md, section "task 2 name"`` for a README path."""
    if not readme:
        return ""
    path, _, anchor = readme.partition("#")
    parts = Path(path).parts
    where = "/".join(parts[-2:]) if len(parts) >= 2 else path
    return (
        f"{where}, section \u201c{anchor.replace('-', ' ')}\u201d" if anchor else where
    )


def merge_repeats(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort finding views (problems first) and show identical ones once.

    Several checks often fail for one cause (a module that does not import
    fails every test of the item with the same message and hint); repeating
    it helps nobody. Findings whose check did not run at all come after the
    ones that say why.
    """
    ordered = sorted(findings, key=lambda f: (_STATE_ORDER[f["state"]], f["not_run"]))
    merged: list[dict[str, Any]] = []
    seen: dict[tuple, dict[str, Any]] = {}
    for view in ordered:
        key = (
            view["state"],
            view["message"],
            view["hint"],
            view["evidence"],
            view["instructor_only"],
        )
        first = seen.get(key)
        if first is None or view["images"] or view["data_json"]:
            seen[key] = view
            view["repeats"] = 1
            merged.append(view)
            continue
        first["repeats"] += 1
        first["repeat_note"] = f"{first['repeats']} checks report the same."
        if view["check"]:
            first["check"] += ", " + view["check"]
    return merged


_STATE_ORDER = {
    "warning": 0,
    "fail": 1,
    "partial": 2,
    "timeout": 3,
    "review": 4,
    "info": 5,
    "ok": 6,
}


def item_view(
    item: dict[str, Any],
    audience: Audience,
    roots: list[Path],
    links_base: str = "",
) -> dict[str, Any]:
    """Return what a template prints for one rubric item."""
    status_class, icon, label = STATUS_LABELS[item["status"]]
    student = audience == "student"
    shown = [
        f if not student or f["audience"] == "student" else {**f, "audience": "student"}
        for f in item["findings"]
        if not student or revealed(f, item)
    ]
    findings = [finding_view(f, audience, item["status"], roots) for f in shown]
    findings = merge_repeats(findings)
    source_kind, source_words = _source_text(item)
    override = item["override"] or {}
    manual_open = item["status"] == "manual"
    if manual_open and item["max_points"] == 0:
        label = "Not scored"
    suggested = ""
    codes = {f["code"] for f in item["findings"]}
    withheld = "not_assessed" in codes and "assessment" not in codes
    if (
        not student
        and not withheld  # an answer the assessor could not read: no figure
        and item["suggested_points"] is not None
        and (manual_open or item["source"] == "override")
    ):
        suggested = (
            f"{fmt_points(item['suggested_points'])} / {fmt_points(item['max_points'])}"
        )
    readme_url = ""
    if item["readme"] and links_base.startswith(("https://", "http://")):
        readme_url = links_base.rstrip("/") + "/" + item["readme"].lstrip("/")
    return {
        "id": item["id"],
        "anchor": "item-" + re.sub(r"[^A-Za-z0-9_-]", "-", item["id"]),
        "title": item["title"],
        "part": item.get("part", ""),
        "status": item["status"],
        "status_class": status_class,
        "icon": icon,
        "label": label,
        "points_text": _points_text(item),
        "source_kind": source_kind,
        "source_text": source_words,
        "comment": text(override.get("comment"))
        if item["source"] == "override"
        else "",
        "reviewer": text(override.get("reviewer")) or "a reviewer",
        "suggested": suggested,
        "readme": _readme_text(item["readme"]),
        "readme_url": readme_url,
        "findings": findings,
        "problem_findings": [f for f in findings if f["state"] not in ("ok",)],
        "passed_findings": [f for f in findings if f["state"] == "ok"],
        "warning_count": sum(1 for f in findings if f["state"] == "warning"),
    }
