"""The generic assessor kinds; the rubric says which applies to a question.

Each kind takes a :class:`~grading.summary.answers.model.Context` and returns
an :class:`~grading.summary.answers.model.Assessment` on the rubric's steps
with evidence lines that quote the answer and the table:

``best_of_groups``
    Which variant the answer calls best for each method, against the best by
    the table (``metric``); which method it says is better, faster, N times
    faster or the same (:mod:`~grading.summary.answers.compare`); whether
    it speaks of each of its ``aspects`` (word lists, ``quality`` and
    ``performance`` by default), an aspect the table contradicts costing
    half.
``ratio``
    Every "N times smaller" against the table's ratios (baseline size over
    each ZIP size, raw or zipped); a percentage given as the comparison is
    called out.
``pareto``
    The smallest, the most accurate and the dominating method the answer
    names, against the Pareto front of the table's (ZIP size, accuracy).
``concepts``
    The concepts an answer must tie together (each a list of stems,
    optionally in a sentence that names a method); misconceptions cap it.
``trend``
    The trend of quality against a parameter of the variant names
    (:mod:`~grading.summary.answers.trend`).
"""

from __future__ import annotations

import re

from grading.summary.answers.claims import best_named, best_point, value_text
from grading.summary.answers.compare import check as check_comparison
from grading.summary.answers.compare import comparisons, fastest
from grading.summary.answers.model import Assessment, Context, snap, tally
from grading.summary.answers.table import Point, mb
from grading.summary.answers.text import has_any, quote
from grading.summary.numbers import sizes_in


def _score(deductions: float) -> float:
    return snap(1.0 - deductions)


#: Which metric of a claim each aspect of ``aspects`` is about.
ASPECT_METRICS = {"quality": "accuracy", "performance": "time"}


def _best_named(ctx: Context, key: str) -> tuple[list[str], float, bool]:
    """Check the best variant the answer names for each method with several
    points (``best_of``: the groups to check, all by default)."""
    evidence, lost, named_any = [], 0.0, False
    claimed = best_named(ctx)
    wanted = ctx.config.get("best_of")
    for group in ctx.table.groups():
        points = ctx.table.of_group(group)
        if len(points) < 2 or (wanted is not None and group not in wanted):
            continue
        best, claim = best_point(points, key), claimed.get(group)
        if claim is None or best is None:
            continue
        named_any = True
        point = ctx.table.points.get(claim.mention.variant)
        said = f"{quote(ctx.answer, claim.clause)} names {claim.mention.variant}"
        if point is None or getattr(point, key) is None:
            evidence.append(f"not checked: {said}, which has no {key} in your table")
        elif getattr(point, key) >= getattr(best, key) - 1e-4:
            evidence.append(
                f"agrees: {said} as the best {group}; your table: "
                f"{best.variant} {value_text(best, key)} is the highest"
            )
        else:
            lost += 0.5
            evidence.append(
                f"contradicts your table: {said} as the best {group} "
                f"({value_text(point, key)}), but {best.variant} has "
                f"{value_text(best, key)}"
            )
    return evidence, lost, named_any


def best_of_groups(ctx: Context) -> Assessment:
    """Assess "the best variants of each method compared" (see module doc).

    Rubric keys: ``metric`` (the best by), ``best_of`` (groups whose best
    variant is checked), ``best_required`` (naming none costs half),
    ``aspects`` (word lists of ``[summary.assess.words]`` the answer must
    speak of; ``quality`` and ``performance`` are also decided by the
    comparisons it makes), ``require_numbers`` (an answer with no number
    costs half).
    """
    key = str(ctx.config.get("metric", "accuracy"))
    if not ctx.mentions.in_text(ctx.answer.low) or not ctx.table.groups():
        return Assessment(
            0.0,
            [
                "names none of the methods of your table: "
                + quote(ctx.answer, ctx.answer.low)
            ],
            summary="the answer compares none of the methods",
        )
    evidence, lost, named_any = _best_named(ctx, key)
    wanted = ctx.config.get("best_of")
    several = any(
        len(ctx.table.of_group(g)) > 1 and (wanted is None or g in wanted)
        for g in ctx.table.groups()
    )
    if not named_any and several and ctx.config.get("best_required", True):
        lost += 0.5
        evidence.append("missing: no best variant of any method is named")
    aspects = [str(a) for a in ctx.config.get("aspects", ["quality", "performance"])]
    metrics = {**ASPECT_METRICS, **ctx.config.get("aspect_metrics", {})}
    verdicts: dict[str, bool] = {}
    other_wrong = False
    for claim in comparisons(ctx):
        right, line = check_comparison(ctx, claim)
        evidence.append(line)
        aspect = next((a for a in aspects if metrics.get(a) == claim.metric), None)
        if right is None:
            continue
        if aspect is None:
            other_wrong = other_wrong or right is False
        else:
            verdicts[aspect] = verdicts.get(aspect, True) and right
    timed = next((a for a in aspects if metrics.get(a) == "time"), None)
    for right, line in fastest(ctx):
        evidence.append(line)
        if right is not None and timed is not None:
            verdicts[timed] = verdicts.get(timed, True) and right
    lost += 0.5 if other_wrong else 0.0
    for aspect in aspects:
        word = has_any(ctx.answer.low, ctx.w(aspect))
        if verdicts.get(aspect) is False:
            lost += 0.5
        elif word is None and aspect not in verdicts:
            lost += 0.5
            evidence.append(f"missing: nothing on {aspect} (none of its words appear)")
        elif word is not None:
            evidence.append(f"speaks of {aspect}: «{word}»")
    number = re.search(r"(?<!\w)\d", ctx.answer.low)  # not the 8 of int8
    if ctx.config.get("require_numbers") and number is None:
        lost += 0.5
        evidence.append("missing: no number from your table")
    score = _score(lost)
    return Assessment(score, evidence, summary=tally(evidence))


# ---------------------------------------------------------------- ratio

_RATIO = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(?:x(?![\d\w])|×|-?\s*times\b|-?\s*fold\b|\s*raz[ay]?\b"
    r"|-?\s*krotn)"
)
_PERCENT_SMALLER = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*%\s*(?:smaller|less|mniejsz)"
    r"|(?:smaller|mniejsz\w*|zmniejsz\w*)\s+(?:by|o)\s+(?:about\s+|około\s+)?"
    r"(\d+(?:[.,]\d+)?)\s*%"
)
#: Ratios checked per answer, at most (an answer of a thousand "2x" is not
#: a thousand claims).
MAX_CLAIMS = 40
_BOUNDARY = re.compile(r",\s|;|\(|\)|\s(?:and|oraz|i|a|do|to)\s")


#: The ratios a stated "N times smaller" may be (``ratios`` of the rubric):
#: the baseline's size over the variant's, each ``raw`` or ``zip``.
RATIOS = (("raw", "zip"), ("zip", "zip"), ("raw", "raw"))


def _ratios(ctx: Context, point: Point) -> list[float]:
    bases = {"raw": ctx.table.baseline_bytes, "zip": ctx.table.baseline_zip_bytes}
    sizes = {"raw": point.raw_bytes, "zip": point.zip_bytes}
    out = []
    for base, size in ctx.config.get("ratios", RATIOS):
        if bases.get(base) and sizes.get(size):
            out.append(bases[base] / sizes[size])
    return out


def _ratio_target(ctx: Context, sentence: str, match: re.Match):
    """Return ``(variant or None, group or None)`` a ratio claim is about."""
    family = ctx.mentions.family_of_sentence(sentence)
    after = re.match(
        r"\s*(?:smaller\s*|mniejsz\w*\s*)?\(([^()]{1,40})\)", sentence[match.end() :]
    )
    if after:
        found = ctx.mentions.in_clause(after.group(1), family)
        if found:
            return found[0].variant, found[0].group
    start = max(
        [m.end() for m in _BOUNDARY.finditer(sentence, 0, match.start())], default=0
    )
    prefix = sentence[start : match.start()]
    found = ctx.mentions.in_clause(prefix, None)
    variant = next((m for m in found if m.variant), None)
    if variant:
        return variant.variant, variant.group
    if found:
        return None, found[0].group
    found = [m for m in ctx.mentions.in_text(sentence[: match.start()])]
    if found:
        return None, found[-1].group
    group = ctx.mentions.family_group.get(family.name) if family else None
    return None, group


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


#: How far below an "almost N times" the true ratio may be.
ALMOST = 0.2


def _agrees(value: float, expected: float, tol: float, almost: bool) -> bool:
    """A stated ratio against the table's; "almost N" is an upper bound."""
    if almost:
        return value * (1 - ALMOST) <= expected <= value * (1 + tol)
    return abs(value - expected) <= tol * expected


def _check_ratio(
    ctx, value, variant, group, clause, almost=False
) -> tuple[bool | None, str]:
    tol = ctx.tolerance
    said = f"{quote(ctx.answer, clause)} gives {'almost ' if almost else ''}{value:g}x"
    if variant and variant in ctx.table.points:
        expected = _ratios(ctx, ctx.table.points[variant])
        if not expected:
            return (
                None,
                f"not checked: {said} for {variant}, which has no size in your table",
            )
        ok = any(_agrees(value, e, tol, almost) for e in expected)
        shown = " or ".join(f"{e:.3g}x" for e in expected[:2])
        verdict = "agrees" if ok else "contradicts your table"
        return ok, f"{verdict}: {said} for {variant}; your sizes give {shown}"
    points = ctx.table.of_group(group) if group else []
    ratios = [r for p in points for r in _ratios(ctx, p)[:1]]
    if not ratios and group:
        return (
            None,
            f"not checked: {said} for {group}, which has no sizes in your table",
        )
    if not ratios:
        return None, f"not checked: {said}, but names no variant of your table"
    low, high = min(ratios), max(ratios)
    ok = low * (1 - tol) <= value <= high * (1 + (ALMOST if almost else tol))
    verdict = "agrees" if ok else "contradicts your table"
    return (
        ok,
        f"{verdict}: {said} for {group}; your sizes give {low:.3g}x to {high:.3g}x",
    )


def ratio(ctx: Context) -> Assessment:
    """Assess "how many times smaller" against the table (see module doc)."""
    evidence, right_groups, wrong, claims = [], set(), 0, 0
    base = ctx.table.baseline_bytes
    if base:
        evidence.append(
            f"baseline: {ctx.config.get('baseline_title', 'the baseline')} "
            f"{mb(base)} from {ctx.table.baseline_source}"
        )
    for sentence in ctx.answer.sentences:
        for match in _RATIO.finditer(sentence.text):
            value = _number(match.group(1))
            if value <= 1.0 or value > 1000 or claims >= MAX_CLAIMS:
                continue
            claims += 1
            variant, group = _ratio_target(ctx, sentence.text, match)
            if variant:
                group = ctx.mentions.group_of_variant(variant) or group
            before = sentence.text[max(0, match.start() - 16) : match.start()]
            almost = has_any(before, ctx.w("almost")) is not None
            ok, line = _check_ratio(ctx, value, variant, group, sentence.text, almost)
            evidence.append(line)
            if ok:
                right_groups.add(group)
            elif ok is False:
                wrong += 1
    percents = []
    for sentence in ctx.answer.sentences:
        for match in _PERCENT_SMALLER.finditer(sentence.text):
            raw = match.group(1) or match.group(2)
            percent = _number(raw)
            if 0 < percent < 100 and len(percents) < MAX_CLAIMS:
                percents.append(percent)
                evidence.append(
                    f"called out: {quote(ctx.answer, sentence.text)} gives a "
                    "percentage "
                    f"({percent:g} % smaller, i.e. {100 / (100 - percent):.3g}x), "
                    "not how many times smaller each model is"
                )
    table_groups = {
        g
        for g in ctx.table.groups()
        if any(_ratios(ctx, p) for p in ctx.table.of_group(g))
    }
    if claims == 0:
        if percents:
            return Assessment(0.0, evidence, summary="a percentage instead of ratios")
        sizes = sizes_in(ctx.answer.original)
        if sizes:
            shown = ", ".join(
                quote(ctx.answer, ctx.answer.low[a:b]) for a, b, _, _ in sizes[:4]
            )
            evidence.append(
                f"sizes without ratios: {shown} given, but no 'N times smaller'"
            )
            return Assessment(0.5, evidence, summary="sizes, but no ratio")
        evidence.append(
            f"missing: no ratio and no size in {quote(ctx.answer, ctx.answer.low)}"
        )
        return Assessment(0.0, evidence, summary="no ratio")
    covered = right_groups & table_groups
    if wrong == 0 and table_groups and covered >= table_groups:
        score = 1.0
    elif covered or (wrong == 0 and right_groups):
        score = 0.5
        missing = sorted(table_groups - covered)
        if missing and wrong == 0:
            evidence.append(f"missing: no ratio for {', '.join(missing)}")
    else:
        score = 0.0
    return Assessment(
        score, evidence, summary=f"{claims} ratio(s) checked, {wrong} wrong"
    )
