"""Kind ``trend``: how quality changes with a numeric parameter of a method.

The parameter is parsed from the variant names of one group's family (the
``{}`` of ``tflite-int8-{}``: the calibration share). The table's trend of
``metric`` against it is ``flat`` (every value within ``flat_band``),
``rising`` or ``falling`` (first against last), and *levelling off* when
the gain after the second value is at most ``level_share`` of the whole.
The answer's trend is read clause by clause with the word lists
``levels``, ``flat``, ``falling`` and ``rising`` of ``[summary.assess.words]``
(checked in that order). A trend the table contradicts gets 0, a trend it
agrees with 1 when numbers of the table or the reason (word list
``reason``) back it, else half.
"""

from __future__ import annotations

import re

from grading.summary.answers.claims import value_text
from grading.summary.answers.model import Assessment, Context
from grading.summary.answers.table import Point
from grading.summary.answers.text import has_any, quote
from grading.summary.variants import Variants

#: Order in which a clause's words decide what it says.
ORDER = ("levels", "flat", "falling", "rising")
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(%)?")


def series(ctx: Context, variants: Variants) -> list[tuple[float, Point]]:
    """Return ``(parameter, point)`` of the group's variants, by parameter."""
    group = str(ctx.config.get("group", ""))
    key = str(ctx.config.get("metric", "accuracy"))
    out = []
    for family in variants.families:
        if ctx.mentions.family_group.get(family.name) != group:
            continue
        for value, name in zip(family.values, family.names(), strict=True):
            point = ctx.table.points.get(name)
            if point is not None and getattr(point, key) is not None:
                out.append((value, point))
    return sorted(out, key=lambda pair: pair[0])


def table_trend(ctx: Context, values: list[float]) -> str:
    """Return ``flat``, ``rising``, ``rising, levelling off``, ``falling``..."""
    band = float(ctx.config.get("flat_band", 0.005))
    if max(values) - min(values) <= band:
        return "flat"
    total = values[-1] - values[0]
    if abs(total) <= band:
        return "flat"
    direction = "rising" if total > 0 else "falling"
    later = max(values[1:]) if total > 0 else min(values[1:])
    share = float(ctx.config.get("level_share", 0.34))
    if len(values) > 2 and abs(later - values[1]) <= share * abs(total):
        return f"{direction}, levelling off"
    return direction


def answer_trend(ctx: Context) -> tuple[str | None, str]:
    """Return the answer's trend and the clause that says it."""
    said: dict[str, str] = {}
    for sentence in ctx.answer.sentences:
        for clause in sentence.clauses or [sentence.text]:
            kind = next((k for k in ORDER if has_any(clause, ctx.w(k))), None)
            if kind is not None:
                said.setdefault(kind, clause)
    for kind in ("falling", "rising"):
        if kind in said:
            levels = "levels" in said or "flat" in said
            clause = said["levels"] if levels and "levels" in said else said[kind]
            return (f"{kind}, levelling off" if levels else kind), clause
    if "flat" in said:
        return "flat", said["flat"]
    if "levels" in said:
        return "rising, levelling off", said["levels"]
    return None, ""


def _quoted_values(ctx: Context, values: list[float]) -> list[str]:
    """Return the numbers of the answer that are values of the table."""
    found = []
    for match in _NUMBER.finditer(ctx.answer.low):
        number = float(match.group(1).replace(",", "."))
        if match.group(2) or number > 1:
            number /= 100
        if any(abs(number - v) <= 0.0015 for v in values):
            found.append(match.group(0).strip())
    return found


def trend(ctx: Context) -> Assessment:
    """Assess a claimed trend against the table's (see module doc)."""
    key = str(ctx.config.get("metric", "accuracy"))
    points = series(ctx, ctx.mentions.variants)
    if len(points) < 3:
        return Assessment(
            None,
            [f"your table has {len(points)} variant(s) to show a trend"],
            "not_assessed",
            "a person reads it",
        )
    values = [getattr(p, key) for _, p in points]
    truth = table_trend(ctx, values)
    shown = ", ".join(f"{v:g}: {value_text(p, key)}" for v, p in points)
    parameter = ctx.config.get("parameter", "value")
    evidence = [f"your table ({key} by {parameter}): {shown}: {truth}"]
    claimed, clause = answer_trend(ctx)
    if claimed is None:
        evidence.append(
            f"missing: no trend is stated in {quote(ctx.answer, ctx.answer.low)}"
        )
        return Assessment(0.0, evidence, summary="no trend stated")
    agrees = claimed.split(",")[0] == truth.split(",")[0]
    said = f"{quote(ctx.answer, clause)} says {claimed}"
    if not agrees:
        evidence.append(f"contradicts your table: {said}; your table: {truth}")
        return Assessment(0.0, evidence, summary="the trend contradicts your table")
    evidence.append(f"agrees: {said}; your table: {truth}")
    numbers = _quoted_values(ctx, values)
    reason = has_any(ctx.answer.low, ctx.w(str(ctx.config.get("reason", "reason"))))
    if len(numbers) >= 2:
        evidence.append(f"backed by your numbers: {', '.join(numbers[:6])}")
    if reason:
        evidence.append(f"gives the reason: «{reason}»")
    if len(numbers) >= 2 or reason:
        return Assessment(1.0, evidence, summary="the trend of your table, backed")
    evidence.append("missing: neither numbers of your table nor the reason back it")
    return Assessment(0.5, evidence, summary="the trend of your table, unbacked")
