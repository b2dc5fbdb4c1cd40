"""Score findings into rubric items.

An item earns ``points * sum(weight * earned) / sum(weight)``, where
``earned`` is a finding's fraction (1 passed, 0 failed, or the check's partial
credit; the lowest when a check reported several). A listed check that
produced no finding counts as failed and says so. A ``manual`` item earns
nothing until a person decides; its checks only suggest a score. An ``auto``
item whose findings decided nothing and include one with code
``manual_review`` (a PDF summary, an unreadable file) also waits for a
person, with that finding as the reason. An ``auto`` item with a finding
whose code is in :data:`SUSPICION_CODES` (a model not made from the one the
tests gave, a tampered test run) earns nothing and waits for a person too,
whatever its other findings say: its checks only suggest a score. An
``auto`` item with a finding that a time limit stopped (code ``timeout``,
nothing decided) gets status ``timeout`` and no points: a time limit is never
a score. Nothing here is lab-specific.
"""

from __future__ import annotations

from typing import Any

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import Item, Rubric

STATUSES = ("pass", "partial", "fail", "manual", "error", "timeout")
#: Finding codes that put an item on hold for a person (suspected cheating).
SUSPICION_CODES = ("foreign_model", "tampered")
#: Finding codes of a grader that could not check, not of a failed check.
ERROR_CODES = ("error", "grader_error")
#: Finding codes of a check stopped by a time limit: it decided nothing.
TIMEOUT_CODES = ("timeout",)


def _not_run(item: Item, check: str) -> Finding:
    return Finding(
        check=check,
        item=item.id,
        passed=False,
        message="This check did not run, so it earns nothing.",
        hint="Look at the other findings of this item for the cause "
        "(a crash, a timeout or a missing file).",
        code="not_run",
    )


def item_fraction(item: Item, findings: list[Finding]) -> tuple[float, list[Finding]]:
    """Return the earned fraction of ``item`` and the findings made up for
    checks that reported nothing."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding)
    total = sum(entry.weight for entry in item.checks)
    earned = 0.0
    synthesized: list[Finding] = []
    for entry in item.checks:
        got = by_check.get(entry.check)
        if not got:
            synthesized.append(_not_run(item, entry.check))
            continue
        decided = [f.earned for f in got if f.earned is not None]
        earned += entry.weight * (min(decided) if decided else 0.0)
    return (earned / total if total else 0.0), synthesized


def _status(points: float, max_points: float) -> str:
    if points >= max_points:
        return "pass"
    return "partial" if points > 0 else "fail"


def _waits_for_person(item: Item, related: list[Finding]) -> bool:
    if item.kind == "manual":
        return True
    review = any(f.code == "manual_review" for f in related) and all(
        f.earned is None for f in related
    )
    return review or any(f.code in SUSPICION_CODES for f in related)


def score_item(
    item: Item, findings: list[Finding], decision: dict[str, Any] | None
) -> dict[str, Any]:
    """Score one item from every finding of a submission.

    Returns
    -------
    dict
        One entry of ``results.json``'s ``items`` (see :func:`score`).
    """
    own = [f for f in findings if f.item == item.id]
    fed = {entry.check for entry in item.checks}
    related = own + [f for f in findings if f.check in fed and f not in own]
    fraction, synthesized = item_fraction(item, related)
    computed = round(item.points * fraction, 2)
    errored = any(f.code in ERROR_CODES for f in related)
    timed_out = any(f.code in TIMEOUT_CODES and f.earned is None for f in related)
    if _waits_for_person(item, related):
        status, source, points = "manual", "manual", 0.0
    elif timed_out:
        # A timeout is never a score: nothing is earned or lost until the
        # item is checked within its limits (a regrade).
        status, source, points = "timeout", "check", 0.0
    elif errored and computed == 0:
        status, source, points = "error", "check", 0.0
    else:
        status, source, points = _status(computed, item.points), "check", computed
    if decision is not None:
        points = float(decision["points"])
        source, status = "override", _status(points, item.points)
    return {
        "id": item.id,
        "title": item.title,
        "points": points,
        "max_points": item.points,
        "kind": item.kind,
        "part": item.part,
        "status": status,
        "source": source,
        "suggested_points": computed if item.checks else None,
        "override": decision,
        "readme": item.readme,
        "findings": [f.to_dict() for f in related + synthesized],
    }


def score(
    rubric: Rubric,
    findings: list[Finding],
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Turn findings into scored items.

    Parameters
    ----------
    rubric : Rubric
        From :func:`grading.pipeline.rubric.load_rubric`.
    findings : list of Finding
        Every finding of every check of one submission.
    overrides : dict, optional
        Manual decisions by item id: ``{"points": float, "comment": str,
        "reviewer": str}``. They replace the computed points of that item.

    Returns
    -------
    dict
        ``{"score", "max_score", "items": [...], "unassigned": [...]}`` where
        each item is ``{"id", "title", "points", "max_points", "kind", "part",
        "status", "source", "suggested_points", "override", "readme",
        "findings"}``; ``source`` is ``"check"``, ``"manual"`` (waiting) or
        ``"override"`` (a person).
    """
    overrides = overrides or {}
    items = [score_item(i, findings, overrides.get(i.id)) for i in rubric.items]
    known = {item.id for item in rubric.items}
    return {
        "score": round(sum(i["points"] for i in items), 2),
        "max_score": rubric.max_score,
        "items": items,
        "unassigned": [f.to_dict() for f in findings if f.item not in known],
    }
