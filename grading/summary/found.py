"""What the reader has found so far, and how a value is stored.

:class:`Extracted` collects values per canonical variant name. The first
reading of a value wins, except sizes: a surer reading (a tool's listing, an
arrow ``16.4 MB -> 1.5 MB``, a column that says zip) replaces a plain
``size``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grading.summary import numbers
from grading.summary.limits import Budget
from grading.summary.result import METRIC_KEYS
from grading.summary.variants import Variants

_VALUE_KEYS = (*METRIC_KEYS, "top5", "samples")
_CONVERTERS = {
    "accuracy": numbers.as_fraction,
    "precision": numbers.as_fraction,
    "sensitivity": numbers.as_fraction,
    "g_mean": numbers.as_fraction,
    "top5": numbers.as_fraction,
    "samples": lambda text: (lambda got: got[0] if isinstance(got, tuple) else got)(
        numbers.first_number(text)
    ),
    "inference_ms": numbers.as_ms,
    "deflation": numbers.as_percent,
}
CONFUSION = re.compile(r"confus|macierz|matrix|pomyłek|pomylek|\bcm\b", re.IGNORECASE)


@dataclass
class Extracted:
    """What was read from a summary, before judging it."""

    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    missing: dict[str, dict[str, str]] = field(default_factory=dict)
    deflation: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    images: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    guessed: dict[str, bool] = field(default_factory=dict)
    image_mismatch: list[tuple[str, str, str]] = field(default_factory=list)
    original_sizes: dict[str, int] = field(default_factory=dict)
    ranks: dict[tuple[str, str], int] = field(default_factory=dict)
    stored: int = 0
    budget: Budget | None = None

    def spend(self, steps: int) -> None:
        """Charge the summary's step budget (no-op without one)."""
        if self.budget is not None:
            self.budget.spend(steps)

    @property
    def guessed_units(self) -> list[str]:
        """Variants whose compressed size was read without a unit."""
        return [v for v, guessed in self.guessed.items() if guessed]

    def put_metric(self, variant: str, key: str, value, word: str = "") -> None:
        """Store a metric unless one was already read for that variant."""
        entry = self.metrics.setdefault(variant, {})
        if value is None or entry.get(key) is not None:
            return
        if value == numbers.MISSING:
            self.missing.setdefault(variant, {}).setdefault(key, word or "-")
            return
        entry[key] = float(value)
        self.missing.get(variant, {}).pop(key, None)
        self.stored += 1

    def _deflation(self, variant: str) -> dict:
        return self.deflation.setdefault(variant, {"percent": None, "size_bytes": None})

    def put_percent(self, variant: str, value) -> None:
        """Store a deflation percentage (the first one read wins)."""
        entry = self._deflation(variant)
        if isinstance(value, float | int) and entry["percent"] is None:
            entry["percent"] = float(value)
            self.stored += 1

    def put_size(
        self, variant: str, size, rank: int = 1, guessed: bool = False
    ) -> None:
        """Store a compressed size; a surer reading (higher rank) replaces one."""
        entry = self._deflation(variant)
        if not isinstance(size, int):
            return
        if entry["size_bytes"] is None or rank > self.ranks.get((variant, "size"), 0):
            entry["size_bytes"] = size
            self.ranks[(variant, "size")] = rank
            self.guessed[variant] = guessed
            self.stored += 1

    def put_original(self, variant: str, size, rank: int = 1) -> None:
        """Store the size before compression (the surest reading wins)."""
        if not isinstance(size, int):
            return
        if variant not in self.original_sizes or rank > self.ranks.get(
            (variant, "orig"), 0
        ):
            self.original_sizes[variant] = size
            self.ranks[(variant, "orig")] = rank

    def put_image(self, variant: str, src: str, alt: str, line: int) -> None:
        """Record an image reference under ``variant``."""
        self.images.setdefault(variant, []).append((src, alt, line))


def value(key: str, text: str, default_unit: str = ""):
    """Convert ``text`` for ``key``; sizes give ``(bytes, unit_guessed)``."""
    if key in ("size", "size_orig"):
        got = numbers.as_bytes(text, default_unit)
        return got if isinstance(got, tuple) else None
    return _CONVERTERS[key](text)


def store(out: Extracted, variant: str, key: str, got, text: str = "") -> None:
    """Store a converted value under its key."""
    if key in _VALUE_KEYS:
        word = (
            text.strip().strip("*_`: ").lower()[:20] if got == numbers.MISSING else ""
        )
        out.put_metric(variant, key, got, word)
    elif key == "deflation":
        out.put_percent(variant, got)
    elif key == "size" and isinstance(got, tuple):
        out.put_size(variant, got[0], rank=1, guessed=got[1])
    elif key == "size_orig" and isinstance(got, tuple):
        out.put_original(variant, got[0], rank=1)


def image(
    src: str,
    alt: str,
    around: str | None,
    line: int,
    variants: Variants,
    out: Extracted,
) -> None:
    """Attribute one image: to the variant its file is named after, else to
    the variant ``around`` it, else to one its alternative text names."""
    out.spend(2)
    named, exact = variants.file_variant(src)
    exact = named if exact else None
    if around and named and named != around and named != variants.baseline:
        out.image_mismatch.append((around, named, src))
    target = exact or around or named or variants.resolve(alt)
    if target and target != variants.baseline:
        out.put_image(target, src, alt, line)
