"""Confirm the grader's suggestions for items awaiting a person, in one step.

``python -m grading report GRADES --accept-suggestions --reviewer NAME
[--item ITEM ...]`` turns the suggested points of every item that waits for a
person and carries a pre-assessment (a finding with code ``assessment``, see
:mod:`grading.summary.answers`) into a decision of ``NAME``: merged like any
override (:mod:`grading.report.overrides`), marked ``accepted_suggestion``,
and recorded in the audit. Items a person already decided, items without a
suggestion (another language, nothing found to assess) and items not named
by ``--item`` are left alone; any single answer can still be overridden with
a decisions file afterwards (or in the same run: the file wins).
"""

from __future__ import annotations

from typing import Any

from grading.report.format import number, text
from grading.report.overrides import Decision, OverrideError

#: ``where`` of a confirmed suggestion (the ``source_file`` of its override).
SOURCE = "accept-suggestions"


def _suggestion(item: dict[str, Any]) -> dict[str, Any] | None:
    """Return the assessment finding of an item awaiting a person, or None."""
    if not isinstance(item, dict) or item.get("status") != "manual":
        return None
    if item.get("source") == "override" or item.get("suggested_points") is None:
        return None
    for finding in item.get("findings") or []:
        if isinstance(finding, dict) and finding.get("code") == "assessment":
            data = finding.get("data") if isinstance(finding.get("data"), dict) else {}
            if data.get("suggested") is not None:
                return finding
    return None


def suggested_decisions(
    loaded: dict[str, dict], reviewer: str, items: list[str] | None = None
) -> list[Decision]:
    """Return a decision for each suggestion to confirm.

    Parameters
    ----------
    loaded : dict
        ``results.json`` content by submission folder name.
    reviewer : str
        Who confirms (required; initials are enough).
    items : list of str, optional
        Only these item ids (all items with a suggestion when None).

    Returns
    -------
    list of Decision

    Raises
    ------
    OverrideError
        When ``reviewer`` is empty or an ``items`` id is in no submission.
    """
    reviewer = text(reviewer).strip()
    if not reviewer:
        raise OverrideError("--accept-suggestions needs --reviewer NAME (who confirms)")
    known = {
        text(i.get("id"))
        for res in loaded.values()
        for i in res.get("items", [])
        if isinstance(i, dict)
    }
    unknown = sorted(set(items or []) - known)
    if unknown:
        raise OverrideError(
            f"--item {', '.join(unknown)}: no such item in the grades "
            f"(items: {', '.join(sorted(known))})"
        )
    out = []
    for name, results in sorted(loaded.items()):
        for item in results.get("items", []):
            item_id = text(item.get("id")) if isinstance(item, dict) else ""
            if items and item_id not in items:
                continue
            finding = _suggestion(item)
            if finding is None:
                continue
            points = round(number(item.get("suggested_points")), 2)
            message = text(finding.get("message"))[:300]
            out.append(
                Decision(
                    submission=name,
                    item=item_id,
                    points=points,
                    comment=f"Confirmed the grader's suggestion. {message}",
                    reviewer=reviewer,
                    where=SOURCE,
                    accepted=True,
                )
            )
    return out
