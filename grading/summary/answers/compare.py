"""Comparisons an answer makes between two methods, and their check.

"A is better (faster, smaller) than B", "A is N times faster than B" and
"A and B give the same accuracy", read clause by clause. When the question
compares exactly two groups (``TFLite FP32`` and ``native``), a clause that
names one of them compares it with the other (``it is slower``, ``faster
than the native model``), and "the same" with no method named speaks of
the pair. Each check takes the best point of each method on the metric and
returns an evidence line with the table's numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.summary.answers.claims import best_point, superlative_claims, value_text
from grading.summary.answers.model import Context
from grading.summary.answers.text import Mention, has_any, position_of, quote

#: Metric of a claim to the table's field.
KEYS = {"accuracy": "accuracy", "time": "inference_ms", "size": "zip_bytes"}
#: Differences within these are noise: "better" is not decided (accuracy
#: absolute, time and size relative).
NOISE = {"accuracy": 0.002, "inference_ms": 0.03, "zip_bytes": 0.01}
#: "The same" agrees within these unless the rubric's ``same_band`` says.
SAME_BAND = {"accuracy": 0.01, "inference_ms": 0.1, "zip_bytes": 0.05}
_TIMES = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(?:x(?![\d\w])|×|-?\s*times\b|\s*raz[ay]?\b|-?\s*krotn)"
)


@dataclass
class Comparison:
    """One claim: ``better`` beats ``worse`` on ``metric`` (or equals it)."""

    better: str
    worse: str
    metric: str
    clause: str
    same: bool = False
    times: float | None = None


def _metric(ctx: Context, clause: str, word: str) -> str:
    """The metric of a clause's claim: by its words, else by the comparing
    word itself (``faster`` is about time, ``worse`` about accuracy)."""
    for text in (clause, word):
        if has_any(text, ctx.w("size")):
            return "size"
        if has_any(text, ctx.w("performance")) and not has_any(text, ctx.w("quality")):
            return "time"
        if has_any(text, ctx.w("quality")):
            return "accuracy"
    return "accuracy"


def _around(ctx: Context, clause: str, at: int) -> tuple[str | None, str | None]:
    """Return the groups named nearest before and after position ``at``,
    by every word of each group (``the imbalanced INT8 model ... than the
    others``: one-class before, the others after)."""
    before: tuple[int, str | None] = (-1, None)
    after: tuple[int, str | None] = (len(clause) + 1, None)
    for group in ctx.mentions.groups:
        for word in group["words"]:
            for hit in _word(word).finditer(clause):
                if hit.start() < at and hit.start() > before[0]:
                    before = (hit.start(), group["name"])
                elif hit.start() > at and hit.start() < after[0]:
                    after = (hit.start(), group["name"])
    if before[1] is not None and before[1] == after[1]:
        # "A ... A's word ... better than B's word": the subject is the
        # nearest other group before the word
        others = [
            (hit.start(), g["name"])
            for g in ctx.mentions.groups
            if g["name"] != after[1]
            for w in g["words"]
            for hit in _word(w).finditer(clause[:at])
        ]
        before = max(others) if others else (-1, None)
    return before[1], after[1]


def _word(word: str) -> re.Pattern:
    return re.compile((r"(?<!\w)" if word[:1].isalnum() else "") + re.escape(word))


def _sides(
    mentions: list[Mention], at: int, pair: list[str] | None, first: str | None
) -> tuple[str, str] | None:
    """Return ``(subject, other)`` of a clause's claim, or None."""
    before = [m for m in mentions if m.position < at]
    after = [m for m in mentions if m.position > at]
    if before and after and before[-1].group != after[0].group:
        return before[-1].group, after[0].group
    if pair is None:
        return None
    named = list(dict.fromkeys(m.group for m in mentions))
    if len(named) == 1:
        other = next(g for g in pair if g != named[0])
        return (named[0], other) if before else (other, named[0])
    if not named and first:
        return first, next(g for g in pair if g != first)
    return None


def comparisons(ctx: Context) -> list[Comparison]:
    """Return the comparisons of the answer, one per clause at most."""
    good, bad, same = ctx.w("better"), ctx.w("worse"), ctx.w("same")
    names = [g["name"] for g in ctx.mentions.groups]
    pair = names if len(names) == 2 else None
    out: list[Comparison] = []
    for sentence in ctx.answer.sentences:
        in_sentence = ctx.mentions.in_text(sentence.text)
        first = in_sentence[0].group if in_sentence else None
        for clause in sentence.clauses or [sentence.text]:
            word_good, word_bad = has_any(clause, good), has_any(clause, bad)
            word_same = has_any(clause, same) if same else None
            word = word_good or word_bad or word_same
            if not word:
                continue
            mentions = ctx.mentions.in_text(clause)
            at = position_of(clause, [word])
            near = _around(ctx, clause, at) if pair else (None, None)
            if near[0] and near[1] and near[0] != near[1]:
                sides = near
            else:
                sides = _sides(mentions, at, pair, first)
            if sides is None and pair is None:  # the sentence's methods
                at = position_of(sentence.text, [word])
                sides = _sides(in_sentence, at, None, None)
            if sides is None and word_same and pair and not mentions:
                sides = (pair[0], pair[1])
            if sides is None:
                continue
            subject, other = sides
            if word_bad and not word_good and not word_same:
                subject, other = other, subject
            times = _TIMES.search(clause)
            claim = Comparison(
                subject,
                other,
                _metric(ctx, clause, word),
                clause,
                same=bool(word_same) and not (word_good or word_bad),
                times=float(times.group(1).replace(",", ".")) if times else None,
            )
            key = (claim.better, claim.worse, claim.metric, claim.same)
            if all((c.better, c.worse, c.metric, c.same) != key for c in out):
                out.append(claim)
    return out[:20]


def check(ctx: Context, claim: Comparison) -> tuple[bool | None, str]:
    """Check one comparison against the best point of each method.

    Returns
    -------
    tuple of (bool or None, str)
        True/False when the table decides, None when it cannot (a method
        outside the table, values equal within noise), and the evidence.
    """
    key = KEYS[claim.metric]
    lowest = key != "accuracy"
    a = best_point(ctx.table.of_group(claim.better), key, lowest)
    b = best_point(ctx.table.of_group(claim.worse), key, lowest)
    said = quote(ctx.answer, claim.clause)
    what = "equals" if claim.same else "beats"
    said = f"{said} says {claim.better} {what} {claim.worse} on {claim.metric}"
    if a is None or b is None:
        return (
            None,
            f"not checked: {said}, but your table has no {claim.metric} for both",
        )
    va, vb = getattr(a, key), getattr(b, key)
    shown = (
        f"{claim.better}: {a.variant} {value_text(a, key)}, "
        f"{claim.worse}: {b.variant} {value_text(b, key)}"
    )
    scale = 1.0 if key == "accuracy" else abs(vb) or 1.0
    if claim.same:
        band = float(ctx.config.get("same_band", {}).get(claim.metric, SAME_BAND[key]))
        ok = abs(va - vb) <= band * scale
        verdict = "agrees" if ok else "contradicts your table"
        return ok, f"{verdict}: {said}; your table: {shown}"
    if abs(va - vb) < 1e-9:
        return False, f"contradicts your table: {said}, but both are equal ({shown})"
    if abs(va - vb) <= NOISE[key] * scale:
        return None, f"not decided: {said}; equal within noise ({shown})"
    right = va > vb if key == "accuracy" else va < vb
    if right and claim.times and key != "accuracy":
        expected = vb / va
        if abs(claim.times - expected) > ctx.tolerance * expected:
            return False, (
                f"contradicts your table: {said} by {claim.times:g}x; "
                f"your table gives {expected:.3g}x ({shown})"
            )
    verdict = "agrees" if right else "contradicts your table"
    return right, f"{verdict}: {said}; {shown}"


def fastest(ctx: Context) -> list[tuple[bool | None, str]]:
    """Check each "X is the fastest" (word list ``fastest``) against the
    lowest inference time of the table, within noise."""
    points = list(ctx.table.points.values())
    truth = best_point(points, "inference_ms", lowest=True)
    out: list[tuple[bool | None, str]] = []
    if truth is None or not ctx.w("fastest"):
        return out
    band = truth.inference_ms * (1 + NOISE["inference_ms"])
    shown = f"your table's fastest: {truth.variant} {value_text(truth, 'inference_ms')}"
    for claim in superlative_claims(ctx, "fastest")[:4]:
        said, mention = quote(ctx.answer, claim.clause), claim.mention
        if mention.variant:
            point = ctx.table.points.get(mention.variant)
        else:
            point = best_point(ctx.table.of_group(mention.group), "inference_ms", True)
        if point is None or point.inference_ms is None:
            out.append(
                (
                    None,
                    f"not checked: {said} speaks of {mention.group}, not in your table",
                )
            )
            continue
        ok = point.inference_ms <= band
        verdict = "agrees" if ok else "contradicts your table"
        named = f"{point.variant} ({value_text(point, 'inference_ms')})"
        out.append((ok, f"{verdict}: {said} calls {named} the fastest; {shown}"))
    return out
