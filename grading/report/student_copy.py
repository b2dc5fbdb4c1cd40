"""The student copy of a ``results.json``: what the student's own CI may hand out.

``results.json`` is the instructor's record: it also holds instructor-only
findings, among them the pre-assessment of the answers (its evidence and
suggested points, :mod:`grading.summary.answers`). The student workflow
uploads and prints only this copy. Findings are kept by the rule of the
student report (:func:`grading.report.items.revealed`): student findings, and
a suggestion only when the rubric's ``[summary.assess] reveal`` shows it
(``"always"``, or ``"after_review"`` once a person decided the item). An
item's ``suggested_points`` is kept only beside a suggestion that is shown.
"""

from __future__ import annotations

import copy
from typing import Any

from grading.report.items import is_suggestion, revealed
from grading.report.normalize import normalize_finding, normalize_item

#: Marks a student copy (``results.json`` of the student's CI artifact).
VIEW = "student"


def _student_item(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """One item with only the findings a student may see."""
    item = normalize_item(raw, index)
    findings = raw.get("findings") if isinstance(raw.get("findings"), list) else []
    kept, shown_suggestion = [], False
    for original, finding in zip(findings, item["findings"], strict=True):
        if not revealed(finding, item):
            continue
        shown_suggestion = shown_suggestion or is_suggestion(finding)
        body = original if isinstance(original, dict) else finding
        kept.append({**copy.deepcopy(body), "audience": "student"})
    out = {**copy.deepcopy(raw), "findings": kept}
    if not shown_suggestion:
        out["suggested_points"] = None
    return out


def student_copy(results: dict[str, Any]) -> dict[str, Any]:
    """Return the student copy of ``results`` (the input is not changed).

    Parameters
    ----------
    results : dict
        The content of a ``results.json`` written by ``grade`` (any shape:
        what is not a list of items or findings is left out).

    Returns
    -------
    dict
        ``results`` without the findings the student report leaves out
        (instructor-only findings, suggestions the rubric keeps from the
        student), ``suggested_points`` of an item only beside a suggestion
        that is shown, and ``"view": "student"``.
    """
    results = results if isinstance(results, dict) else {}
    out = copy.deepcopy(results)
    items = results.get("items") if isinstance(results.get("items"), list) else []
    out["items"] = [
        _student_item(raw, index)
        for index, raw in enumerate(items)
        if isinstance(raw, dict)
    ]
    unassigned = results.get("unassigned")
    if isinstance(unassigned, list):
        out["unassigned"] = [
            copy.deepcopy(raw)
            for raw in unassigned
            if normalize_finding(raw)["audience"] != "instructor"
        ]
    out["view"] = VIEW
    return out
