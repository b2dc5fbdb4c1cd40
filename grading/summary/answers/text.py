"""Read an answer the way the assessors need it: sentences, clauses, mentions.

An answer is untrusted text of any length and language. It is normalised
(:func:`grading.util.text.normalize`), cut to :data:`MAX_CHARS`, lowered and
split into sentences and clauses with linear regular expressions. A
*mention* is a method group (by its words: ``cluster``, ``przycin``) or a
variant of the lab (resolved by :class:`~grading.summary.variants.Variants`
from the clause: ``clustered-8``, ``8 klastrów``, ``sparsity 0.2``). Every
quote shown as evidence comes from here, capped at :data:`QUOTE_CHARS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grading.summary.variants import Variants
from grading.util.text import normalize

#: Characters of an answer the assessors read (the reader caps excerpts at 1500).
MAX_CHARS = 6000
#: Longest quote of the answer in one evidence line.
QUOTE_CHARS = 140
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)")
#: A single line break inside a paragraph (not before a list item) is a space.
_LINE_BREAK = re.compile(r"[ \t]*\n(?![ \t]*(?:\n|[-*+][ \t]|\d+[.)][ \t]))[ \t]*")
_CLAUSE = re.compile(
    r",\s+|\(|\)|\s+(?:and|while|whereas|but|vs\.?|versus|ale|oraz|natomiast|zaś|i)\s+"
)
_WORD = re.compile(r"\w+")
#: Function words of the languages the assessors read; an answer with too
#: few of them is in another language (or not prose) and is not assessed.
_STOPWORDS = {
    "en": set(
        "the a an is are was were of to in and or but than that this it its with "
        "for on by as be has have not so which more less most than both all".split()
    ),
    "pl": set(
        "i w z na do jest są się nie że to jak od niż dla po oraz ale co tak "
        "ma mają być przez przy jego ich bardziej mniej najbardziej oba więc "
        "dlatego bo gdy tylko też także bardzo dużo mało te ten ta tego tym który "
        "która które o a".split()
    ),
}
#: Function words of languages the assessors do not read: an answer with
#: more of them than of English or Polish ones goes to a person.
_OTHER = set(
    "der das und ist mit von eine einer beim nicht auch sind wird les est une "
    "des du pour avec dans los las por para una muy che sono".split()
)


@dataclass
class Sentence:
    """One sentence of an answer: its text (lowered) and its clauses."""

    text: str
    clauses: list[str] = field(default_factory=list)


@dataclass
class Mention:
    """A method group or variant named in a clause, at ``position``."""

    group: str
    variant: str | None
    position: int


@dataclass
class AnswerText:
    """The normalised answer: original text for quotes, lowered sentences."""

    original: str
    low: str
    sentences: list[Sentence]
    words: int
    language: str


def language_of(low: str) -> str:
    """Return ``"en"``, ``"pl"`` or ``"other"`` by counting function words."""
    tokens = _WORD.findall(low)
    counts = {
        lang: sum(1 for t in tokens if t in words) for lang, words in _STOPWORDS.items()
    }
    best = max(counts, key=counts.get)
    other = sum(1 for t in tokens if t in _OTHER)
    polish_letters = sum(low.count(c) for c in "ąćęłńóśźż")
    if polish_letters >= 2 and counts["pl"] >= 1:
        return "pl"
    letters = [c for c in low if c.isalpha()]
    foreign = sum(1 for c in letters if ord(c) > 0x24F)  # beyond Latin scripts
    if not letters or other > counts[best] or foreign > 0.3 * len(letters):
        return "other"
    return best


def function_share(low: str) -> float:
    """Share of the words that are function words of English or Polish: near
    0 for a list of keywords, a quarter or more for prose."""
    tokens = _WORD.findall(low)
    if not tokens:
        return 0.0
    words = _STOPWORDS["en"] | _STOPWORDS["pl"]
    return sum(1 for t in tokens if t in words) / len(tokens)


def read(text: str) -> AnswerText:
    """Normalise and split an answer.

    Parameters
    ----------
    text : str
        The answer passage (any content; only :data:`MAX_CHARS` are read).

    Returns
    -------
    AnswerText
    """
    original = normalize(str(text or "")[: MAX_CHARS * 2]).text[:MAX_CHARS]
    original = _LINE_BREAK.sub(" ", original)
    low = original.lower()
    sentences = []
    for raw in _SENTENCE.split(low):
        raw = raw.strip()
        if not raw:
            continue
        clauses = [c.strip() for c in _CLAUSE.split(raw) if c and c.strip()]
        sentences.append(Sentence(raw, clauses))
    return AnswerText(
        original, low, sentences, len(_WORD.findall(low)), language_of(low)
    )


def _pattern(word: str) -> re.Pattern:
    """A stem matches at the start of a word (``zer`` in ``zera``, not in
    ``dokładnie``); a word that starts with punctuation or space anywhere."""
    if word not in _PATTERNS:
        lead = r"(?<!\w)" if word[:1].isalnum() else ""
        _PATTERNS[word] = re.compile(lead + re.escape(word))
    return _PATTERNS[word]


_PATTERNS: dict[str, re.Pattern] = {}


def has_any(text: str, words: list[str]) -> str | None:
    """Return the first of ``words`` (lowercase stems) found in ``text``."""
    for word in words:
        if word and _pattern(word).search(text):
            return word
    return None


def position_of(text: str, words: list[str]) -> int:
    """Return the first position of any of ``words`` in ``text``, or -1."""
    best = -1
    for word in words:
        hit = _pattern(word).search(text) if word else None
        if hit and (best < 0 or hit.start() < best):
            best = hit.start()
    return best


class Mentions:
    """Find method groups and variants named in clauses.

    Parameters
    ----------
    groups : list of dict
        ``[[summary.assess.groups]]``: ``name``, ``words``, optional
        ``family`` (the summary family whose variants belong to the group).
    variants : Variants
        The lab's variant resolver.
    """

    def __init__(self, groups: list[dict], variants: Variants) -> None:
        self.groups = groups
        self.variants = variants
        self.family_group = {g["family"]: g["name"] for g in groups if g.get("family")}

    def group_of_variant(self, variant: str) -> str | None:
        """Return the group whose family holds ``variant``."""
        family = self.variants.family_named(variant)
        return self.family_group.get(family.name) if family else None

    def in_clause(self, clause: str, context_family=None) -> list[Mention]:
        """Return the mentions of one clause, in order.

        The clause is cut where each method is named, so that
        ``clustering beats pruning: clustered-2 ...`` still resolves the
        variant after the second method's word.
        """
        named = [g for g in self.groups if position_of(clause, g["words"]) >= 0]
        cuts = [0, len(clause)]
        if len(named) > 1:
            starts = {at for g in named for at in self._positions(clause, g["words"])}
            cuts = [0, *sorted(a for a in starts if a > 0), len(clause)]
        out: list[Mention] = []
        for begin, end in zip(cuts, cuts[1:], strict=False):
            # a value may stand just before its method's word ("8 clusters")
            part = clause[max(0, begin - 12) : end]
            variant = self.variants.resolve(
                part, context_family if begin == 0 else None
            )
            if variant is None or variant == self.variants.baseline:
                continue
            group = self.group_of_variant(variant)
            if group:
                out.append(Mention(group, variant, begin))
        for group in self.groups:
            at = position_of(clause, group["words"])
            if at >= 0 and not any(m.group == group["name"] for m in out):
                out.append(Mention(group["name"], None, at))
        out.sort(key=lambda m: m.position)
        return out

    @staticmethod
    def _positions(text: str, words: list[str]) -> list[int]:
        found = []
        for word in words:
            found += [m.start() for m in _pattern(word).finditer(text)][:16]
        return found

    def in_text(self, text: str) -> list[Mention]:
        """Return the group mentions of ``text`` (no variants), in order."""
        out = []
        for group in self.groups:
            at = position_of(text, group["words"])
            if at >= 0:
                out.append(Mention(group["name"], None, at))
        return sorted(out, key=lambda m: m.position)

    def family_of_sentence(self, sentence: str):
        """Return the one summary family the sentence speaks of, or None."""
        return self.variants.family_of(sentence)

    def _words(self, group: str) -> list[str]:
        for g in self.groups:
            if g["name"] == group:
                return g["words"]
        return []


def quote(answer: AnswerText, low_fragment: str) -> str:
    """Return the passage of the original answer for a lowered fragment."""
    fragment = low_fragment.strip()
    at = answer.low.find(fragment)
    shown = answer.original[at : at + len(fragment)] if at >= 0 else fragment
    shown = " ".join(shown.split())
    if len(shown) > QUOTE_CHARS:
        shown = shown[: QUOTE_CHARS - 1].rstrip() + "…"
    return f"«{shown}»"
