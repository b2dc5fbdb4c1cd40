"""Read numbers the way students write them.

Metrics come as fractions (``0.8364677``) or percentages (``83.6%``) and are
returned as fractions. Deflation is returned in percent, times in
milliseconds, sizes in bytes. Missing values (``brak``, ``n/a``, ``nan``,
``-``) are returned as :data:`MISSING`; ``0.0`` is a number like any other
(the plausibility checks judge it).

Thousands separators: a space of any width, an apostrophe, a comma or a dot,
always in groups of three digits. ``16,432,856``, ``16.432.856``,
``16 432 856`` and ``16,432.5`` are unambiguous. One comma or dot before
exactly three digits (``8,452``) is a thousands separator in a size in
bytes, kilobytes or without a unit, and a decimal separator everywhere else
(``1,346 MB`` is 1.346 MB, ``0,836`` is 0.836).

Every pattern here is linear: a number starts only where no digit, letter,
dot or comma precedes it, so a search never restarts inside a run of digits.
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

#: Characters that only ever group thousands (NFKC turns the others into " ").
_GROUPING = " \u00a0\u202f\u2009'’"
NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>"
    r"\d{1,3}(?P<sep>[ \u00a0\u202f\u2009'’,.])\d{3}(?:(?P=sep)\d{3})*"
    r"(?:[.,]\d+)?(?!\d)"
    r"|\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?"
    r"|[.,]\d+)(?!\d|[x×]\d)"  # 640x480 is a dimension, not a number
    r"(?:\s*(?P<unit>%|ms\b|s\b|sec\b|kib\b|kb\b|k\b|mib\b|mb\b|m\b|gib\b|gb\b|g\b"
    r"|bytes\b|byte\b|b\b|bajt\w{0,4}))?",
    re.IGNORECASE,
)
_MISSING_RE = re.compile(
    r"\s*[:=]?\s*(?:\*\*|`|_)?\s*(brak|n/a|nan|none|null|b/d|--|—|–|-|\?)"
    r"(?=$|[\s,;|)*`_%])",
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
#: Size units before which ``8,452`` groups thousands.
_SMALL_UNITS = ("", "b", "byte", "bytes", "k", "kb", "kib")
_HEADER_UNIT = re.compile(
    r"[\[(]\s*(kib|kb|mib|mb|gb|gib|b|bytes|bajty|bajtach)\s*[\])]", re.IGNORECASE
)
_WORD_UNIT = re.compile(
    r"(?<![a-z])(kib|kb|mib|mb|bytes|bajty)(?![a-z])", re.IGNORECASE
)


def _unit_name(raw: str | None) -> str:
    unit = (raw or "").lower()
    return "b" if unit.startswith("bajt") else unit


def value_of(num: str, sep: str | None, size: bool = False, unit: str = "") -> float:
    """Return the value of one matched number token.

    Parameters
    ----------
    num : str
        The token (``16,432,856``, ``0,836``, ``8 452``).
    sep : str or None
        The grouping separator the pattern saw (None for a plain number).
    size : bool
        The number is a size; decides ``8,452`` (see the module docstring).
    unit : str
        The unit written after it, lower case.

    Returns
    -------
    float
        May be ``inf`` or ``nan`` for absurd input; callers check.
    """
    if sep is None:
        return float(num.replace(",", "."))
    if sep in _GROUPING:
        return float(num.replace(sep, "").replace(",", "."))
    other = "." if sep == "," else ","
    head = num.split(sep, 1)[0]
    thousands = (
        other in num
        or num.count(sep) >= 2
        or (size and unit in _SMALL_UNITS and head != "0")
    )
    if thousands:
        return float(num.replace(sep, "").replace(other, "."))
    return float(num.replace(sep, "."))


def first_number(text: str) -> tuple[float, str] | str | None:
    """Return ``(value, unit)`` of the first number in ``text``.

    Returns :data:`MISSING` if the text starts with a missing-value word and
    ``None`` when there is no number (or it is not finite).
    """
    if _MISSING_RE.match(text) or text.strip().lower() in MISSING_WORDS:
        return MISSING
    match = NUMBER.search(text)
    if not match:
        return None
    unit = _unit_name(match.group("unit"))
    try:
        value = value_of(match.group("num"), match.group("sep"), False, unit)
    except ValueError:
        return None
    return (value, unit) if math.isfinite(value) else None


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


def size_of(match: re.Match, default_unit: str = "") -> tuple[int, bool] | None:
    """Return ``(bytes, guessed)`` of a :data:`NUMBER` match read as a size."""
    unit = _unit_name(match.group("unit"))
    if unit not in _UNITS:
        unit = ""
    shown = unit or default_unit.lower().strip()
    try:
        value = value_of(match.group("num"), match.group("sep"), True, shown)
    except ValueError:
        return None
    if not math.isfinite(value) or value > 1e15:
        return None
    guessed = False
    if shown not in _UNITS:
        guessed = True
        shown = "kib" if value < 1_000_000 else "b"
    return int(round(value * _UNITS[shown])), guessed


def as_bytes(text: str, default_unit: str = "") -> tuple[int, bool] | str | None:
    """Read a size in bytes.

    Parameters
    ----------
    text : str
        The size as written (``8 452``, ``9.0 MB``, ``16,432,856 B``).
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
    if (
        not match
        or match.group("unit") in ("%",)
        or _unit_name(match.group("unit")) in ("ms", "s", "sec")
    ):
        return None
    return size_of(match, default_unit)


def sizes_in(text: str) -> list[tuple[int, int, int, bool]]:
    """Return ``(start, end, bytes, unit_written)`` of each size with a unit.

    Only numbers followed by a size unit count (``1.5MB``, ``16,432,856 B``,
    ``900 kB``); bare numbers are not sizes here.
    """
    found = []
    for match in NUMBER.finditer(text):
        unit = _unit_name(match.group("unit"))
        if unit not in _UNITS:
            continue
        got = size_of(match)
        if got is not None:
            found.append((match.start(), match.end(), got[0], True))
    return found


def unit_in(text: str) -> str:
    """Return a size unit named in a header such as ``Size [kB]`` or ``""``."""
    match = _HEADER_UNIT.search(text) or _WORD_UNIT.search(text)
    if not match:
        return ""
    unit = match.group(1).lower()
    return "b" if unit in ("bytes", "bajty", "bajtach") else unit
