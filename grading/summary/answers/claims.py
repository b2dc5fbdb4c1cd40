"""Claims an answer makes about the student's table, and their check.

Shared by the assessor kinds: which variant (or method) a sentence calls the
best or the smallest (comparisons between methods are in
:mod:`~grading.summary.answers.compare`). Each check returns an evidence
line that quotes the answer and names the table's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.summary.answers.model import Context
from grading.summary.answers.table import Point, mb, pct
from grading.summary.answers.text import Mention, has_any


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
