"""Formatting of values for reports: untrusted values to text, points, durations.

Every value read from ``results.json`` goes through :func:`text` or
:func:`number` before a template sees it, so a malformed file never breaks a
report.
"""

from __future__ import annotations

import json
import math
from typing import Any


def text(value: Any) -> str:
    """Return ``value`` as a string (``""`` for ``None``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def displayable(name: str) -> str:
    """Return a file name with undecodable bytes replaced (safe to write as UTF-8)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def number(value: Any, default: float = 0.0) -> float:
    """Return ``value`` as a finite float, or ``default``."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return default
    return result if math.isfinite(result) else default


def fmt_points(value: Any) -> str:
    """Format points without trailing zeros: ``2``, ``1.5``, ``0.25``."""
    rounded = round(number(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def fmt_seconds(value: Any) -> str:
    """Format a duration for people: ``0.4 s``, ``12 s``, ``2 min 05 s``."""
    seconds = max(0.0, number(value))
    if seconds < 0.05:
        return "< 0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def shorten(value: str, limit: int) -> tuple[str, int]:
    """Cut ``value`` to ``limit`` characters at a line end when possible.

    Returns
    -------
    tuple
        The shortened text and the number of characters left out (0 if none).
    """
    if limit <= 0:
        return "", len(value)
    if len(value) <= limit:
        return value, 0
    cut = value.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return value[:cut].rstrip(), len(value) - cut
