"""Types shared by the assessors: what they get and what they return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grading.summary.answers.table import Table
from grading.summary.answers.text import AnswerText, Mentions

#: The rubric's steps when the question gives none.
DEFAULT_STEPS = (0.0, 0.5, 1.0)


@dataclass
class Assessment:
    """A suggested score for one answer and the evidence behind it.

    Parameters
    ----------
    score : float or None
        Suggested fraction of the item's points, on the rubric's steps;
        None when the answer could not be assessed (a person reads it).
    evidence : list of str
        Lines a person can check against the answer and the table, each
        quoting one or the other.
    code : str
        ``assessed``, ``not_assessed`` (another language, nothing to read) or
        ``no_answer``.
    summary : str
        One sentence: what the suggestion rests on.
    kind : str
        The assessor kind that produced it.
    """

    score: float | None
    evidence: list[str] = field(default_factory=list)
    code: str = "assessed"
    summary: str = ""
    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the assessment as JSON-ready data."""
        return {
            "score": self.score,
            "evidence": list(self.evidence),
            "code": self.code,
            "summary": self.summary,
            "kind": self.kind,
        }


@dataclass
class Context:
    """What one assessor reads: the answer, the table and the rubric's words."""

    answer: AnswerText
    table: Table
    mentions: Mentions
    words: dict[str, list[str]]
    config: dict[str, Any]
    outside: list[dict[str, Any]]

    def w(self, key: str) -> list[str]:
        """Return the word list ``key`` of ``[summary.assess.words]``."""
        return [str(x).lower() for x in self.words.get(key, [])]

    @property
    def tolerance(self) -> float:
        """Relative difference still counted as agreeing with the table."""
        return float(self.config.get("tolerance", 0.1))


def snap(value: float, steps=DEFAULT_STEPS) -> float:
    """Return the step of the rubric nearest to ``value`` (within [0, 1])."""
    value = max(0.0, min(1.0, value))
    return min(steps, key=lambda s: (abs(s - value), -s))


def tally(evidence: list[str]) -> str:
    """Return ``2 agree with your table, 1 contradicts it, 1 missing``."""
    counts = {
        word: sum(1 for line in evidence if line.startswith(word))
        for word in ("agrees", "contradicts", "missing")
    }
    return (
        f"{counts['agrees']} agree with your table, {counts['contradicts']} "
        f"contradict it, {counts['missing']} missing"
    )
