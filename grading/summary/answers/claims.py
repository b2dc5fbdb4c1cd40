"""Claims an answer makes about the student's table, and their check.

Shared by the assessor kinds: which variant (or method) a sentence calls the
best or the smallest, and which method it says is better than another.
Each check returns an evidence line that quotes the answer and names the
table's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.summary.answers.model import Context
from grading.summary.answers.table import Point, mb, pct
from grading.summary.answers.text import Mention, has_any, position_of, quote


@dataclass
class Claim:
    """What one clause says: ``mention`` is the best/smallest/dominant one."""

    mention: Mention
    clause: str


def superlative_claims(
    ctx: Context, words_key: str, exclude_key: str = ""
) -> list[Claim]:
    """Return, per clause that holds a word of ``words_key``, what it names.

    A variant named in the clause wins over a method; a clause that names
    only a method takes the nearest variant of that method from the next
    clauses of its sentence (``the best clustered model, clustered-16``),
    then from the previous ones.
    """
    words, exclude = ctx.w(words_key), ctx.w(exclude_key) if exclude_key else []
    out = []
    for sentence in ctx.answer.sentences:
        if not has_any(sentence.text, words):
            continue
        clauses = sentence.clauses
        for index, clause in enumerate(clauses):
            if not has_any(clause, words) or (exclude and has_any(clause, exclude)):
                continue
            found = ctx.mentions.in_clause(clause) or ctx.mentions.in_clause(
                sentence.text
            )
            if not found:
                continue
            variant = next((m for m in found if m.variant), None)
            if variant is None:
                variant = _nearby(ctx, clauses, index, found[0].group)
            out.append(Claim(variant or found[0], clause))
    return out


def _nearby(ctx: Context, clauses: list[str], index: int, group: str) -> Mention | None:
    order = list(range(index + 1, len(clauses))) + list(range(index - 1, -1, -1))
    for other in order[:6]:
        for mention in ctx.mentions.in_clause(clauses[other]):
            if mention.variant and mention.group == group:
                return mention
            if mention.group != group:
                break
    return None


def best_named(ctx: Context) -> dict[str, Claim]:
    """Return, per method, the first variant named in a sentence that speaks
    of the best (``the best variants: pruned-0.2 ... clustered-16``), or the
    only variant of the method the answer names."""
    out: dict[str, Claim] = {}
    named: dict[str, dict[str, Claim]] = {}
    for sentence in ctx.answer.sentences:
        best = has_any(sentence.text, ctx.w("best")) is not None
        for clause in sentence.clauses:
            for mention in ctx.mentions.in_clause(clause):
                if not mention.variant:
                    continue
                if best and mention.group not in out:
                    out[mention.group] = Claim(mention, sentence.text)
                named.setdefault(mention.group, {}).setdefault(
                    mention.variant, Claim(mention, sentence.text)
                )
    # The question asks for the best variants: one variant of a method named
    # in the whole answer is the one it compares.
    for group, variants in named.items():
        if group not in out and len(variants) == 1:
            out[group] = next(iter(variants.values()))
    return out


def best_point(points: list[Point], key: str, lowest: bool = False) -> Point | None:
    """Return the point with the highest (or lowest) value of ``key``."""
    valued = [p for p in points if getattr(p, key) is not None]
    if not valued:
        return None
    pick = min if lowest else max
    return pick(valued, key=lambda p: getattr(p, key))


def value_text(point: Point, key: str) -> str:
    """Return ``point``'s value of ``key`` as a person reads it."""
    value = getattr(point, key)
    if key == "accuracy":
        return pct(value)
    if key == "inference_ms":
        return "-" if value is None else f"{value:.3g} ms"
    return mb(value)


def comparative_claims(ctx: Context) -> list[tuple[str, str, str, str]]:
    """Return ``(better, worse, metric, clause)`` for each "A is better than B".

    The metric is ``size`` or ``time`` when the clause speaks of them,
    ``accuracy`` otherwise. Only clauses naming two different methods count.
    """
    good, bad = ctx.w("better"), ctx.w("worse")
    out = []
    for sentence in ctx.answer.sentences:
        text = sentence.text
        word_good, word_bad = has_any(text, good), has_any(text, bad)
        word = word_good or word_bad
        if not word:
            continue
        at = position_of(text, [word])
        mentions = ctx.mentions.in_text(text)
        before = [m for m in mentions if m.position < at]
        after = [m for m in mentions if m.position > at]
        if not before or not after or before[-1].group == after[0].group:
            continue
        subject, other = before[-1].group, after[0].group
        if word_bad and not word_good:
            subject, other = other, subject
        metric = "accuracy"
        if has_any(text, ctx.w("size")):
            metric = "size"
        elif has_any(text, ctx.w("performance")) and not has_any(
            text, ctx.w("quality")
        ):
            metric = "time"
        out.append((subject, other, metric, text))
    return out


def check_comparative(ctx: Context, claim) -> tuple[bool | None, str]:
    """Check "A is better than B" against the best point of each method.

    Returns
    -------
    tuple of (bool or None, str)
        True/False when the table decides, None when it cannot (a method
        outside the table, or values equal within noise), and the evidence.
    """
    better, worse, metric, clause = claim
    key = {"size": "zip_bytes", "time": "inference_ms"}.get(metric, "accuracy")
    lowest = key != "accuracy"
    a = best_point(ctx.table.of_group(better), key, lowest)
    b = best_point(ctx.table.of_group(worse), key, lowest)
    said = f"{quote(ctx.answer, clause)} says {better} beats {worse} on {metric}"
    if a is None or b is None:
        return None, f"not checked: {said}, but your table has no {metric} for both"
    va, vb = getattr(a, key), getattr(b, key)
    noise = 0.03 if key == "inference_ms" else (0.002 if key == "accuracy" else 0.01)
    if abs(va - vb) <= noise * (abs(vb) if key != "accuracy" else 1):
        return None, (
            f"not decided: {said}; your table's best are equal within noise "
            f"({a.variant} {value_text(a, key)}, {b.variant} {value_text(b, key)})"
        )
    right = va > vb if key == "accuracy" else va < vb
    verdict = "agrees" if right else "contradicts your table"
    return right, (
        f"{verdict}: {said}; best {better}: {a.variant} {value_text(a, key)}, "
        f"best {worse}: {b.variant} {value_text(b, key)}"
    )
