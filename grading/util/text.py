"""Text from a submission, made safe to compare and to show.

Submissions are untrusted text: commit subjects, summaries, exception
messages and file names may carry invisible format characters (zero-width
spaces, right-to-left overrides) that make ``"Up\\u200bdate"`` dodge a rule
that reads ``"update"``, or lengths that blow up a report. Every rule reads
:func:`normalize`'s output, and every string that reaches an output goes
through :func:`cap`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Longest string from a submission kept in any output, in characters.
DEFAULT_CAP = 2000
#: What replaces the cut end of a capped string.
ELLIPSIS = " [...]"
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PRINTABLE = frozenset("\t\n\r" + "".join(chr(c) for c in range(0x20, 0x7F)))


@dataclass(frozen=True)
class Normalized:
    """A normalised string and what normalising removed.

    Parameters
    ----------
    text : str
        NFKC-normalised text without invisible format characters.
    invisible : tuple of str
        Names of the invisible characters removed (``"ZERO WIDTH SPACE"``),
        each once, in order of first appearance.
    """

    text: str
    invisible: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when invisible characters were removed."""
        return bool(self.invisible)


def _is_invisible(char: str) -> bool:
    # Cf: format characters (zero-width, bidi controls, soft hyphen, BOM);
    # Cc other than tab and newlines; Co and Cn: private and unassigned.
    category = unicodedata.category(char)
    if category == "Cc":
        return char not in "\t\n\r"
    return category in ("Cf", "Co", "Cn")


def normalize(text: str) -> Normalized:
    """Return ``text`` in NFKC without invisible format characters.

    Parameters
    ----------
    text : str
        Any text from a submission.

    Returns
    -------
    Normalized
        The text to apply rules to, and the names of what was removed.
    """
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return Normalized(text)  # NFKC leaves printable ASCII as it is
    text = unicodedata.normalize("NFKC", text)
    # each distinct character is judged once; most texts have none to remove
    bad = [char for char in set(text) - _PRINTABLE if _is_invisible(char)]
    if not bad:
        return Normalized(text)
    names: dict[str, str] = {}
    pattern = re.compile("[" + "".join(re.escape(char) for char in bad) + "]")
    for match in pattern.finditer(text):
        char = match.group()
        if char not in names:
            names[char] = unicodedata.name(char, f"U+{ord(char):04X}")
            if len(names) == len(bad):
                break
    kept = text.translate(dict.fromkeys(map(ord, bad)))
    return Normalized(kept, tuple(dict.fromkeys(names.values())))


def cap(text: str, limit: int = DEFAULT_CAP) -> str:
    """Return ``text`` cut to at most ``limit`` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS
