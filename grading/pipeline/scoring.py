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
whatever its other findings say: its checks only suggest a score. So does
one with a finding whose code is in :data:`HOLD_CODES` besides those (the
grading environment cannot run what the item needs, e.g. an optional part
whose packages are not installed).

An ``auto`` item with a finding that a time limit stopped (code ``timeout``,
nothing decided) gets status ``timeout`` and no points: a time limit is never
a score.

Requirements of one template version: an item or a check with ``requires``
counts only when the submission's template version asks it. The version
comes as the finding with code ``template_version``
(:mod:`grading.versions.identify`), whose ``data["asks"]`` lists what its
README asks. A check left out this way weighs nothing and its findings say
"not counted" and why; an item left out is not part of the grade (nor of
``max_score``). Without that finding every requirement counts. Nothing
here is lab-specific.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from grading.pipeline.findings import Finding
from grading.pipeline.rubric import CheckWeight, Item, Rubric

STATUSES = ("pass", "partial", "fail", "manual", "error", "timeout")
#: Finding codes that put an item on hold for a person (suspected cheating).
SUSPICION_CODES = ("foreign_model", "tampered")
#: Finding codes that put an item on hold for a person: suspicion, or checks
#: that cannot run in this grading environment.
HOLD_CODES = (*SUSPICION_CODES, "not_runnable")
#: Finding codes of a grader that could not check, not of a failed check.
ERROR_CODES = ("error", "grader_error")
#: Code of the finding that names the submission's template version.
TEMPLATE_CODE = "template_version"


@dataclasses.dataclass(frozen=True)
class Asked:
    """What the submission's template version asks (from its finding).

    Parameters
    ----------
    asks : frozenset of str or None
        The words of ``asks``; None when no version was identified (then
        every requirement counts).
    version : str
        Id of the version, for messages.
    """

    asks: frozenset[str] | None = None
    version: str = ""

    def applies(self, requires: str) -> bool:
        """True when a check or item with ``requires`` counts."""
        return not requires or self.asks is None or requires in self.asks

    def why_not(self, requires: str) -> str:
        """Why a requirement does not count, for the student."""
        from grading.versions import ask_description

        return (
            f"not counted: the README of your template version ({self.version}) "
            f"does not ask you to {ask_description(requires)}"
        )


def asked(findings: list[Finding]) -> Asked:
    """Read what the template version asks from the findings (see above)."""
    for finding in findings:
        if finding.code == TEMPLATE_CODE and isinstance(finding.data, dict):
            asks = finding.data.get("asks")
            if isinstance(asks, list):
                return Asked(
                    frozenset(str(a) for a in asks), str(finding.data.get("version"))
                )
    return Asked()


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
    return review or any(f.code in HOLD_CODES for f in related)


def _for_version(item: Item, context: Asked) -> tuple[Item, list[CheckWeight]]:
    """The item with only the checks its template version asks, and the rest."""
    kept = [c for c in item.checks if context.applies(c.requires)]
    dropped = [c for c in item.checks if not context.applies(c.requires)]
    if not dropped:
        return item, []
    return dataclasses.replace(item, checks=tuple(kept)), dropped


def _annotated(
    related: list[Finding], dropped: list[CheckWeight], context: Asked, item: Item
) -> list[dict[str, Any]]:
    """Findings as dicts, saying which did not count and which were asked."""
    reasons = {c.check: context.why_not(c.requires) for c in dropped}
    required = {c.check: c.requires for c in item.checks if c.requires}
    out = []
    for finding in related:
        entry = finding.to_dict()
        if finding.check in reasons:
            entry["message"] = f"[{reasons[finding.check]}] {entry['message']}"
            entry["data"] = {**(entry.get("data") or {}), "counted": False}
        elif finding.check in required and finding.passed is False and context.version:
            entry["message"] += (
                f" (The README of your template version, {context.version}, "
                "asks for this.)"
            )
        out.append(entry)
    return out


def score_item(
    item: Item,
    findings: list[Finding],
    decision: dict[str, Any] | None,
    context: Asked | None = None,
) -> dict[str, Any]:
    """Score one item from every finding of a submission.

    Parameters
    ----------
    item : Item
        The rubric item.
    findings : list of Finding
        Every finding of the submission.
    decision : dict or None
        A manual override of this item.
    context : Asked, optional
        What the template version asks (every requirement counts without).

    Returns
    -------
    dict
        One entry of ``results.json``'s ``items`` (see :func:`score`).
    """
    context = context or Asked()
    original = item
    item, dropped = _for_version(item, context)
    own = [f for f in findings if f.item == item.id]
    fed = {entry.check for entry in original.checks}
    related = own + [f for f in findings if f.check in fed and f not in own]
    fraction, synthesized = item_fraction(item, related)
    computed = round(item.points * fraction, 2)
    errored = any(f.code in ERROR_CODES for f in related)
    timed_out = any(f.code in TIMEOUT_CODES and f.earned is None for f in related)
    suggested = computed if item.checks else None
    if _waits_for_person(item, related):
        status, source, points = "manual", "manual", 0.0
        if all(f.earned is None for f in related):
            suggested = None  # nothing was assessed: a person reads it afresh
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
        "suggested_points": suggested,
        "override": decision,
        "readme": item.readme,
        "findings": _annotated(related + synthesized, dropped, context, original),
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
        Every finding of every check of one submission; the one with code
        ``template_version`` says what the submission's template asks
        (items and checks with ``requires`` count only when asked).
    overrides : dict, optional
        Manual decisions by item id: ``{"points": float, "comment": str,
        "reviewer": str}``. They replace the computed points of that item.

    Returns
    -------
    dict
        ``{"score", "max_score", "items": [...], "parts": [...],
        "unassigned": [...]}`` where ``parts`` lists ``{"id", "title",
        "points", "max_points"}`` per part in rubric order, and
        each item is ``{"id", "title", "points", "max_points", "kind", "part",
        "status", "source", "suggested_points", "override", "readme",
        "findings"}``; ``source`` is ``"check"``, ``"manual"`` (waiting) or
        ``"override"`` (a person).
    """
    overrides = overrides or {}
    context = asked(findings)
    graded = [i for i in rubric.items if context.applies(i.requires)]
    items = [score_item(i, findings, overrides.get(i.id), context) for i in graded]
    known = {item.id for item in graded}
    parts = []
    for part in dict.fromkeys(i.part for i in graded):
        members = [i for i in items if i["part"] == part]
        parts.append(
            {
                "id": part,
                "title": rubric.part_title(part),
                "points": round(sum(i["points"] for i in members), 2),
                "max_points": float(sum(i["max_points"] for i in members)),
            }
        )
    return {
        "score": round(sum(i["points"] for i in items), 2),
        "max_score": float(sum(item.points for item in graded)),
        "items": items,
        "parts": parts,
        "unassigned": [
            _not_asked(f, rubric, context).to_dict()
            for f in findings
            if f.item not in known
        ],
    }


def _not_asked(finding: Finding, rubric: Rubric, context: Asked) -> Finding:
    """An item the version does not ask: its findings go to the instructor only.

    The student was never asked for it, so "missing" would be wrong advice.
    """
    item = rubric.item(finding.item)
    if item is None or not item.requires:
        return finding
    return dataclasses.replace(
        finding,
        audience="instructor",
        message=f"[{context.why_not(item.requires)}] {finding.message}",
    )
