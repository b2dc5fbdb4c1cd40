"""Pre-assess the answers to a lab's questions against the student's numbers.

For each question whose ``[[summary.questions]]`` entry of the rubric has an
``assess`` table, :func:`assess` reads the located answer and the numbers
parsed from the same summary and returns an
:class:`~grading.summary.answers.model.Assessment`: a suggested score on the
rubric's steps and evidence lines quoting the answer and the table. The kind
(``best_of_groups``, ``ratio``, ``pareto``, ``concepts``, ``trend``), the method groups,
the word lists (English and Polish) and every threshold are data in
``[summary.assess]``; nothing here names a lab. A person confirms the
suggestion (``report --accept-suggestions``) or overrides it.

Outcomes on untrusted text: no answer found (0, ``no_answer``), an answer
too short to say anything (0), an answer in another language or with no
words at all, or an explanation that is a list of keywords (no suggestion,
``not_assessed``: a person reads it); anything else is assessed. Only
:data:`~grading.summary.answers.text.MAX_CHARS` characters are read and
every step is linear in them.
"""

from __future__ import annotations

from typing import Any

from grading.summary.answers import front, kinds, trend
from grading.summary.answers.model import Assessment, Context, snap
from grading.summary.answers.table import table_of
from grading.summary.answers.text import Mentions, function_share, quote, read
from grading.summary.result import Answer, SummaryResult
from grading.summary.variants import Variants

KINDS = {
    "best_of_groups": kinds.best_of_groups,
    "ratio": kinds.ratio,
    "pareto": front.pareto,
    "concepts": front.concepts,
    "trend": trend.trend,
}
#: Fewer words than this say nothing an assessor can check.
MIN_WORDS = 3
#: An explanation (``prose = true``) with a smaller share of function words
#: is a list of keywords (written to collect concepts): a person reads it.
PROSE_SHARE = 0.08

__all__ = ["KINDS", "Assessment", "assess", "assess_one"]


def _groups(settings: dict) -> tuple[list[dict], list[dict]]:
    groups, outside = [], []
    for raw in settings.get("groups", []):
        group = {
            "name": str(raw["name"]),
            "words": [str(w).lower() for w in raw.get("words", [])],
            "family": raw.get("family"),
        }
        groups.append(group)
        if not group["family"]:
            outside.append({**raw, "name": group["name"]})
    return groups, outside


def assess_one(
    answer: Answer | None,
    question: dict[str, Any],
    result: SummaryResult,
    data: dict[str, Any],
) -> Assessment | None:
    """Assess one answer; None when the question has no ``assess`` table.

    Parameters
    ----------
    answer : Answer or None
        The located answer.
    question : dict
        The question's ``[[summary.questions]]`` entry.
    result : SummaryResult
        The whole summary (its numbers).
    data : dict
        The ``[summary]`` section of the rubric.

    Returns
    -------
    Assessment or None
    """
    config = question.get("assess")
    if not isinstance(config, dict):
        return None
    settings = data.get("assess", {})
    kind = str(config.get("kind", ""))
    if kind not in KINDS:
        return Assessment(
            None,
            [f"the rubric names an unknown assessor kind {kind!r}"],
            "not_assessed",
            "rubric error",
            kind,
        )
    if answer is None or not answer.found:
        return Assessment(
            0.0,
            ["no answer to this question was found"],
            "no_answer",
            "no answer",
            kind,
        )
    text = read(answer.excerpt)
    if text.language == "other" and any(c.isalpha() for c in text.low):
        return Assessment(
            None,
            [
                "not in a language the assessor reads (English, Polish): "
                + quote(text, text.low)
            ],
            "not_assessed",
            "a person reads it",
            kind,
        )
    if text.words < MIN_WORDS:
        return Assessment(
            0.0,
            [f"the answer is {text.words} word(s): {quote(text, text.low)}"],
            summary="too short to compare",
            kind=kind,
        )
    if config.get("prose") and function_share(text.low) < PROSE_SHARE:
        return Assessment(
            None,
            [
                "reads as a list of keywords, not an explanation: "
                + quote(text, text.low)
            ],
            "not_assessed",
            "a person reads it",
            kind,
        )
    variants = Variants(data)
    # a question may name its own groups (the two models it compares)
    groups, outside = _groups(config if "groups" in config else settings)
    mentions = Mentions(groups, variants)
    table = table_of(result, data, mentions.group_of_variant)
    merged = {"tolerance": settings.get("tolerance", 0.1), **config}
    ctx = Context(text, table, mentions, settings.get("words", {}), merged, outside)
    got = KINDS[kind](ctx)
    got.kind = kind
    steps = tuple(
        float(s) for s in config.get("steps", settings.get("steps", (0, 0.5, 1)))
    )
    if got.score is not None:
        got.score = snap(got.score, steps)
    got.evidence = [line for line in got.evidence if line][:12]
    return got


def assess(result: SummaryResult, data: dict[str, Any]) -> dict[str, Assessment]:
    """Assess every question of the rubric that asks for it.

    Returns
    -------
    dict of str to Assessment
        By question id; questions without ``assess`` are left out.
    """
    out = {}
    for question in data.get("questions", []):
        got = assess_one(result.questions.get(question["id"]), question, result, data)
        if got is not None:
            out[question["id"]] = got
    return out
