"""Kinds ``pareto`` and ``concepts`` (see :mod:`grading.summary.answers.kinds`)."""

from __future__ import annotations

from grading.summary.answers.claims import best_point, superlative_claims, value_text
from grading.summary.answers.model import Assessment, Context
from grading.summary.answers.table import Point, mb
from grading.summary.answers.text import has_any, quote


def pareto_front(
    points: list[Point], size: str = "zip_bytes", quality: str = "accuracy"
) -> list[Point]:
    """Return the points no other point beats on both ``size`` (lower is
    better) and ``quality`` (higher is better), by size."""

    def pair(p: Point) -> tuple:
        return getattr(p, size), getattr(p, quality)

    full = [p for p in points if pair(p)[0] and pair(p)[1] is not None]
    front = []
    for p in full:
        (ps, pq) = pair(p)
        beaten = any(
            qs <= ps and qq >= pq and (qs < ps or qq > pq)
            for qs, qq in (pair(q) for q in full)
        )
        if not beaten:
            front.append(p)
    return sorted(front, key=lambda p: getattr(p, size))


def _outside(ctx: Context, group: str) -> dict | None:
    return next((o for o in ctx.outside if o.get("name") == group), None)


def _check_extreme(
    ctx, claim, truth: Point, key: str, what: str
) -> tuple[bool | None, str]:
    """Check a "smallest"/"most accurate" claim against the table's extreme."""
    mention = claim.mention
    said = quote(ctx.answer, claim.clause)
    shown = f"{truth.variant} ({value_text(truth, key)})"
    outside = _outside(ctx, mention.group)
    if outside is not None:
        share = outside.get("size_of_baseline")
        base = ctx.table.baseline_bytes
        if (
            key.endswith("_bytes")
            and share
            and base
            and getattr(truth, key) < share * base
        ):
            return False, (
                f"contradicts your table: {said} calls {mention.group} the {what}; "
                f"{outside.get('note', '')} at least {mb(share * base)}, but your "
                f"{shown} is smaller"
            )
        return None, f"not checked: {said} speaks of {mention.group}, not in your table"
    if mention.variant:
        point = ctx.table.points.get(mention.variant)
        if point is None or getattr(point, key) is None:
            return (
                None,
                f"not checked: {said} names {mention.variant}, not in your table",
            )
        value, best = getattr(point, key), getattr(truth, key)
        ok = value <= best * 1.005 if key.endswith("_bytes") else value >= best - 1e-4
        named = f"{mention.variant} ({value_text(point, key)})"
    else:
        ok = mention.group == truth.group
        named = mention.group
    verdict = "agrees" if ok else "contradicts your table"
    return ok, f"{verdict}: {said} calls {named} the {what}; your table: {shown}"


def pareto(ctx: Context) -> Assessment:
    """Assess "smallest and best, is one dominant" against the Pareto front.

    Rubric keys: ``size`` and ``quality`` (the table's fields of the two
    axes, ``zip_bytes`` and ``accuracy`` by default) and ``axes`` (how the
    evidence names them).
    """
    size = str(ctx.config.get("size", "zip_bytes"))
    quality = str(ctx.config.get("quality", "accuracy"))
    points = list(ctx.table.points.values())
    front = pareto_front(points, size, quality)
    smallest = best_point(points, size, lowest=True)
    accurate = best_point(points, quality)
    evidence = []
    if front:
        axes = ctx.config.get("axes", f"{size}, {quality}")
        evidence.append(
            f"Pareto front of your table ({axes}): "
            + ", ".join(
                f"{p.variant} {value_text(p, size)} {value_text(p, quality)}"
                for p in front
            )
        )
    groups = {p.group for p in front}
    others = {p.group for p in points} - groups
    dominant = next(iter(groups)) if len(groups) == 1 and others else None
    right = wrong = unchecked = 0
    checks = (
        ("smallest", smallest, size, "smallest"),
        ("best", accurate, quality, "most accurate"),
    )
    for words, truth, key, what in checks:
        claims = superlative_claims(ctx, words, "smallest" if words == "best" else "")
        if truth is None or not claims:
            evidence.append(f"missing: no claim of the {what} model")
            continue
        ok, line = _check_extreme(ctx, claims[0], truth, key, what)
        evidence.append(line)
        right += ok is True
        wrong += ok is False
        unchecked += ok is None
    ok, line = _dominance(ctx, dominant, groups)
    evidence.append(line)
    right += ok is True
    wrong += ok is False
    # a claim about a method outside the table (INT8 of lab 02) that the
    # table does not contradict is worth something, never full points
    if right == 3 and wrong == 0:
        score = 1.0
    elif right or (unchecked and not wrong):
        score = 0.5
    else:
        score = 0.0
    return Assessment(
        score,
        evidence,
        summary=f"{right} claim(s) agree, {wrong} contradict, "
        f"{unchecked} not in your table",
    )


def _dominance(
    ctx: Context, dominant: str | None, front_groups
) -> tuple[bool | None, str]:
    words = ctx.w("dominate")
    for sentence in ctx.answer.sentences:
        if not has_any(sentence.text, words):
            continue
        clause = next((c for c in sentence.clauses if has_any(c, words)), sentence.text)
        said = quote(ctx.answer, clause)
        truth = (
            f"on your front only {dominant} remains"
            if dominant
            else f"your front mixes {', '.join(sorted(front_groups)) or 'nothing'}"
        )
        if has_any(clause, ctx.w("negation")):
            ok = dominant is None
            verdict = "agrees" if ok else "contradicts your table"
            return ok, f"{verdict}: {said} says no method dominates; {truth}"
        found = ctx.mentions.in_text(clause) or ctx.mentions.in_text(sentence.text)
        if not found:
            return None, f"not checked: {said} names no method"
        ok = found[0].group == dominant
        verdict = "agrees" if ok else "contradicts your table"
        return ok, f"{verdict}: {said} says {found[0].group} dominates; {truth}"
    return None, "missing: whether one method dominates is not answered"


def _contradicted(ctx: Context, concept: dict, sentence: str) -> str:
    """Return an evidence line when the table contradicts a tie the answer
    makes (``min_deflation``: the method's best ZIP deflation is below it)."""
    floor, group = concept.get("min_deflation"), concept.get("with_group")
    if floor is None or not group:
        return ""
    points = [p for p in ctx.table.of_group(group) if p.deflation is not None]
    if not points:
        return ""
    best = max(points, key=lambda p: p.deflation)
    if best.deflation >= float(floor):
        return ""
    return (
        f"contradicts your table: {quote(ctx.answer, sentence)} ties {group} to "
        f"good compression, but your {group} models deflated at most "
        f"{best.deflation:g} % ({best.variant}){concept.get('note', '')}"
    )


def concepts(ctx: Context) -> Assessment:
    """Assess an explanation by the concepts it ties together."""
    wanted = ctx.config.get("concepts", [])
    evidence, found, contradicted = [], 0, False
    for concept in wanted:
        words = [str(w).lower() for w in concept.get("words", [])]
        group = concept.get("with_group")
        hit = None
        for sentence in ctx.answer.sentences:
            word = has_any(sentence.text, words)
            if word is None:
                continue
            if group and not any(
                m.group == group for m in ctx.mentions.in_text(sentence.text)
            ):
                continue
            hit = (word, sentence.text)
            break
        name = concept.get("name", "concept")
        if concept.get("optional"):  # shown, never deducted
            evidence.append(
                f"has {name}: {quote(ctx.answer, hit[1])}"
                if hit
                else f"not required, not given: {name}"
            )
            continue
        if hit:
            found += 1
            evidence.append(f"has {name}: {quote(ctx.answer, hit[1])}")
            line = _contradicted(ctx, concept, hit[1])
            if line:
                contradicted = True
                evidence.append(line)
        else:
            evidence.append(f"missing: {name}")
    wanted = [c for c in wanted if not c.get("optional")]
    score = 1.0 if found == len(wanted) and wanted else (0.5 if found else 0.0)
    if contradicted:
        score = min(score, 0.5)
    for phrase in ctx.config.get("misconceptions", []):
        phrase = str(phrase).lower()
        at = ctx.answer.low.find(phrase)
        if at >= 0:
            score = min(score, 0.5)
            sentence = next(
                (s.text for s in ctx.answer.sentences if phrase in s.text), phrase
            )
            evidence.append(f"wrong: {quote(ctx.answer, sentence)}")
            break
    return Assessment(score, evidence, summary=f"{found} of {len(wanted)} concepts")
