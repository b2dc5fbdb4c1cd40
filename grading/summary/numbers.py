"""Read numbers the way students write them.

Metrics come as fractions (``0.8364677``) or percentages (``83.6%``) and are
returned as fractions. Deflation is returned in percent. Sizes come as
``8 452`` (kB with a space as thousands separator), ``9.0 MB``, ``16.48 MB``
or plain bytes and are returned in bytes. Missing values (``brak``, ``n/a``,
``nan``, ``-``) are returned as :data:`MISSING`.
"""

from __future__ import annotations

import math
import re

MISSING = "missing"
"""Marker for a value the student wrote as missing (not the same as absent)."""

MISSING_WORDS = {
    "brak",
    "n/a",
    "na",
    "nan",
    "none",
    "null",
    "-",
    "--",
    "—",
    "–",
    "?",
    "x",
    "b/d",
    "bd",
    "nd",
    "tbd",
    "todo",
    "missing",
    "not measured",
    "nie mierzono",
}

_SEP = "[ \u00a0\u202f'\u2009]"
NUMBER = re.compile(
    rf"(?<![\w.])(?P<num>\d{{1,3}}(?:{_SEP}\d{{3}})+(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?|[.,]\d+)"
    r"\s*(?P<unit>%|ms\b|s\b|sec\b|kib\b|kb\b|k\b|mib\b|mb\b|m\b|gib\b|gb\b|g\b"
    r"|bytes\b|byte\b|b\b|bajt\w*)?",
    re.IGNORECASE,
)
_MISSING_RE = re.compile(
    r"^\s*[:=]?\s*(?:\*\*|`|_)?\s*(brak|n/a|nan|none|null|b/d|--|—|–|-|\?)"
    r"(?=$|[\s,;|)*`_])",
    re.IGNORECASE,
)
_UNITS = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "kb": 1000,
    "kib": 1024,
    "k": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "m": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
    "g": 1024**3,
}


def _to_float(raw: str, size: bool = False) -> float | None:
    """Convert one matched number (spaces and decimal commas allowed)."""
    text = re.sub(_SEP, "", raw)
    if "," in text:
        head, _, tail = text.partition(",")
        if size and len(tail) == 3 and head not in ("", "0") and "." not in tail:
            text = head + tail  # 8,452 as a thousands separator in a size
        else:
            text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def first_number(text: str) -> tuple[float, str] | str | None:
    """Return ``(value, unit)`` of the first number in ``text``.

    Returns :data:`MISSING` if the text starts with a missing-value word and
    ``None`` when there is no number.
    """
    if _MISSING_RE.match(text) or text.strip().lower() in MISSING_WORDS:
        return MISSING
    match = NUMBER.search(text)
    if not match:
        return None
    value = _to_float(match.group("num"))
    if value is None:
        return None
    return value, (match.group("unit") or "").lower()


def as_fraction(text: str) -> float | str | None:
    """Read a metric as a fraction in [0, 1] where it makes sense.

    ``83.6%`` and ``83.6`` become ``0.836``; ``0.836`` stays. Values that
    cannot be a fraction even as a percentage are returned unchanged so that
    the plausibility checks can flag them.
    """
    got = first_number(text)
    if got is None or got == MISSING:
        return got
    value, unit = got
    if unit == "%" or 1.0 < value <= 100.0:
        return value / 100.0
    return value


def as_percent(text: str) -> float | str | None:
    """Read a deflation as percent: ``48%``, ``48`` and ``0.48`` give 48."""
    got = first_number(text)
    if got is None or got == MISSING:
        return got
    value, unit = got
    if unit != "%" and 0.0 < value <= 1.0 and "." in text:
        return value * 100.0
    return value


def as_ms(text: str) -> float | str | None:
    """Read a time in milliseconds (``15.2 ms``, ``0.0152 s``, ``15.2``)."""
    got = first_number(text)
    if got is None or got == MISSING:
        return got
    value, unit = got
    if unit in ("s", "sec"):
        return value * 1000.0
    return value


def as_bytes(text: str, default_unit: str = "") -> tuple[int, bool] | str | None:
    """Read a size in bytes.

    Parameters
    ----------
    text : str
        The size as written (``8 452``, ``9.0 MB``, ``8654848``).
    default_unit : str
        Unit from a table header (``kB``, ``MB``) for bare numbers.

    Returns
    -------
    tuple of (int, bool), MISSING or None
        The bytes and whether the unit was guessed. A bare number below one
        million with no unit in sight is taken as KiB (what ``ls -s`` and
        ``du`` print); a larger bare number as bytes.
    """
    if _MISSING_RE.match(text) or text.strip().lower() in MISSING_WORDS:
        return MISSING
    match = NUMBER.search(text)
    if not match:
        return None
    value = _to_float(match.group("num"), size=True)
    if value is None:
        return None
    unit = (match.group("unit") or "").lower()
    if unit.startswith("bajt"):
        unit = "b"
    guessed = False
    if unit not in _UNITS:
        unit = default_unit.lower().strip()
        if unit not in _UNITS:
            guessed = True
            unit = "kib" if value < 1_000_000 else "b"
    return int(round(value * _UNITS[unit])), guessed


def unit_in(text: str) -> str:
    """Return a size unit named in a header such as ``Size [kB]`` or ``""``."""
    match = re.search(
        r"[\[(]\s*(kib|kb|mib|mb|gb|gib|b|bytes|bajty)\s*[\])]", text, re.IGNORECASE
    )
    if not match:
        match = re.search(r"\b(kib|kb|mib|mb|bytes)\b", text, re.IGNORECASE)
    if not match:
        return ""
    unit = match.group(1).lower()
    return {"bytes": "b", "bajty": "b"}.get(unit, unit)
