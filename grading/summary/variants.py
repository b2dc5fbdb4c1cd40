"""Map the many ways students name a model variant to its canonical name.

The variants of a lab come from the ``[summary]`` section of its rubric as
*families*: a name template, the allowed values and the words that announce
the family (``clustered-{}-fp32`` with values 2..32 and words like
``cluster``/``klaster``). ``Clustered-2-fp32``, ``clustered 2``,
``num_clusters=2``, ``Pruned 20%`` and ``sparsity=0.2`` all resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NOISE = re.compile(
    r"(?i)\b(?:fp|int|float|uint)\s?(?:8|16|32|64)\b|mobilenet\s?v?\d|top-?\s?5"
    r"|\bv\d\b|\bl0\d\b|\blab\s?0?\d\b"
)
_NUM = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:[.,]\d+)?)\s*(%)?")


@dataclass
class Family:
    """A group of variants that differ by one value.

    Parameters
    ----------
    name : str
        Short name (``clustered``).
    template : str
        Canonical name with ``{}`` for the value (``clustered-{}-fp32``).
    values : list of float
        Allowed values, in the order of the lab. Empty for a single fixed
        variant (``template`` is then its name, found by ``words``).
    kind : {"count", "fraction"}
        ``fraction`` values may be written as percentages (``20%``).
    words : list of str
        Lowercase stems that announce the family.
    deflation_trend : str
        ``"falling"`` or ``"rising"`` as the value grows, or ``""``.
    """

    name: str
    template: str
    values: list[float]
    kind: str = "count"
    words: list[str] = field(default_factory=list)
    deflation_trend: str = ""

    def variant(self, value: float) -> str:
        """Return the canonical name for ``value``."""
        shown = (
            str(int(value))
            if float(value).is_integer() and self.kind == "count"
            else f"{value:g}"
        )
        return self.template.format(shown)

    def names(self) -> list[str]:
        """Return every canonical name of the family, in lab order."""
        if not self.values:
            return [self.template]
        return [self.variant(v) for v in self.values]


class Variants:
    """Resolver of variant names for one lab.

    Parameters
    ----------
    data : dict
        The ``[summary]`` section of the rubric: ``families`` (list of
        tables with ``name``, ``variant``, ``values``, ``kind``, ``words``,
        ``deflation_trend``), optional ``baseline`` and ``baseline_words``.
    """

    def __init__(self, data: dict) -> None:
        self.families = [
            Family(
                name=f["name"],
                template=f["variant"],
                values=[float(v) for v in f.get("values", [])],
                kind=f.get("kind", "count"),
                words=[w.lower() for w in f.get("words", [f["name"]])],
                deflation_trend=f.get("deflation_trend", ""),
            )
            for f in data.get("families", [])
        ]
        self.baseline = data.get("baseline", "")
        self.baseline_words = [w.lower() for w in data.get("baseline_words", [])]
        self.canonical = [n for f in self.families for n in f.names()]
        self._cache: dict[tuple[str, str], str | None] = {}
        self._families: dict[str, Family | None] = {}
        words = "|".join(re.escape(w) for w in self.baseline_words)
        self._baseline_re = (
            re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")
            if self.baseline and words
            else None
        )
        self._exact = {n.lower(): n for n in self.canonical}
        if self.baseline:
            self._exact[self.baseline.lower()] = self.baseline
        pattern = "|".join(
            re.escape(n) for n in sorted(self._exact, key=len, reverse=True)
        )
        self._exact_re = (
            re.compile(rf"(?<![\w.])({pattern})(?!\w|\.\d)", re.IGNORECASE)
            if pattern
            else None
        )

    def family_of(self, text: str) -> Family | None:
        """Return the single family announced in ``text`` (None if 0 or 2+)."""
        if text not in self._families:
            low = text.lower()
            found = [f for f in self.families if any(w in low for w in f.words)]
            self._families[text] = found[0] if len(found) == 1 else None
        return self._families[text]

    def value_in(self, family: Family, text: str) -> float | None:
        """Return the value of ``family`` written in ``text``.

        When several allowed values are written, the one nearest to a word of
        the family wins (``4 clustered-16`` is 16, ``2 klastry`` is 2).
        """
        cleaned = _NOISE.sub(" ", text)
        found: list[tuple[int, int, float]] = []
        for match in _NUM.finditer(cleaned):
            try:
                value = float(match.group(1).replace(",", "."))
            except ValueError:
                continue
            if family.kind == "fraction" and (match.group(2) or value > 1):
                value = value / 100.0
            allowed = next((a for a in family.values if abs(value - a) < 1e-9), None)
            if allowed is not None:
                found.append((match.start(), match.end(1), allowed))
                if len(found) > 8:
                    break
        if len({v for _, _, v in found}) <= 1:
            return found[0][2] if found else None
        low = cleaned.lower()
        words = [
            (m.start(), m.end())
            for w in family.words
            for m in re.finditer(re.escape(w) + r"\w{0,12}", low)
        ][:64]
        if not words:
            return found[0][2]

        def distance(hit) -> tuple[int, int]:
            best = (len(low), 1)
            for start, end in words:
                after = hit[0] >= end  # "clustered-16" is more usual than "16 x"
                gap = low[end : hit[0]] if after else low[hit[1] : start]
                best = min(best, (len(gap.strip("-=_:")), 0 if after else 1))
            return best

        return min(found, key=distance)[2]

    def resolve(self, text: str, family: Family | None = None) -> str | None:
        """Return the canonical variant named in ``text``.

        Parameters
        ----------
        text : str
            A heading, a table cell, a list label or a file name.
        family : Family, optional
            The family given by the context (a heading ``Clustering`` above
            a table whose rows say just ``2``); used when ``text`` names none.

        Returns
        -------
        str or None
            The canonical name, the baseline name, or None.
        """
        key = (text, family.name if family else "")
        if key not in self._cache:
            self._cache[key] = self._resolve(text, family)
        return self._cache[key]

    def _resolve(self, text: str, family: Family | None) -> str | None:
        if not text:
            return None
        if self._exact_re is not None:
            match = self._exact_re.search(text)
            if match:
                return self._exact[match.group(1).lower()]
        own = self.family_of(text)
        chosen = own or family
        if own is not None and not own.values:
            return own.template  # a single fixed variant, named by its words
        if chosen is not None and chosen.values:
            value = self.value_in(chosen, text)
            if value is not None:
                return chosen.variant(value)
        if own is None and self.is_baseline(text):
            return self.baseline
        return None

    def file_variant(self, src: str) -> tuple[str | None, bool]:
        """Return the variant an image or model file is named after.

        ``img/pruned-0.5-fp32-confusion-matrix.png`` names ``pruned-0.5-fp32``
        (the dot of ``0.5`` is kept; only the extension and the folders go).

        Returns
        -------
        tuple of (str or None, bool)
            The variant, and whether the file spells its canonical name.
        """
        name = src.replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0]
        stem = name.rsplit(".", 1)[0] if "." in name else name
        spaced = stem.replace("_", " ")
        exact = self.exact(spaced)
        if exact is not None:
            return exact, True
        return self.resolve(spaced), False

    def exact(self, text: str) -> str | None:
        """Return the canonical name written exactly in ``text``, if any."""
        if self._exact_re is None:
            return None
        match = self._exact_re.search(text)
        return self._exact[match.group(1).lower()] if match else None

    def exact_mentions(self, text: str) -> list[tuple[int, str]]:
        """Return ``(position, canonical name)`` of every exact name in ``text``."""
        if self._exact_re is None:
            return []
        return [
            (hit.start(), self._exact[hit.group(1).lower()])
            for hit in self._exact_re.finditer(text)
        ]

    def is_baseline(self, text: str) -> bool:
        """Whether ``text`` names the uncompressed baseline model."""
        if self._baseline_re is None or self.family_of(text) is not None:
            return False
        return bool(self._baseline_re.search(text.lower()))

    def family_named(self, variant: str) -> Family | None:
        """Return the family whose canonical names include ``variant``."""
        for family in self.families:
            if variant in family.names():
                return family
        return None
