"""Normalise every piece of text of one summary before any rule reads it.

:class:`Cleaner` runs :func:`grading.util.text.normalize` (NFKC, invisible
format characters removed) on each text it is given and remembers the names
of the characters it removed, so that the reader can report them: a
zero-width space inside ``deflated`` or a right-to-left override in a
heading is itself a finding. Embedded base64 images are elided first, so
their payload is never normalised or parsed.
"""

from __future__ import annotations

import re

from grading.summary.limits import Budget
from grading.summary.markdown import elide_embedded
from grading.util.text import normalize

#: Names of removed characters kept for the finding.
MAX_NAMES = 8


#: Characters of text per step of the budget (normalising, parsing and
#: matching labels cost about a microsecond per character together).
CHARS_PER_STEP = 10
#: Characters of program output per step: output is not parsed as Markdown,
#: only split into lines and matched, so it costs a quarter as much.
OUTPUT_CHARS_PER_STEP = 40
#: Terminal control sequences in program output (colours, cursor moves).
_ANSI = re.compile(r"\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\x1b[@-Z\\-_]")
#: Carriage returns and backspaces rewrite a terminal line (progress bars).
_REWRITE = re.compile(r"[\r\x08]+")


def _as_shown(text: str) -> str:
    """Keep the last version of each line a terminal rewrote."""
    if "\r" not in text and "\x08" not in text:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "\r" in line or "\x08" in line:
            parts = [part for part in _REWRITE.split(line) if part]
            lines[index] = parts[-1] if parts else ""
    return "\n".join(lines)


class Cleaner:
    """Normalise texts of one summary and collect what was removed.

    Parameters
    ----------
    budget : Budget, optional
        Charged one step per :data:`CHARS_PER_STEP` characters, before the
        text is normalised.
    """

    def __init__(self, budget: Budget | None = None) -> None:
        self._names: dict[str, None] = {}
        self.count = 0
        self.budget = budget

    def __call__(self, text: str) -> str:
        """Return ``text`` normalised, embedded image data elided."""
        text = elide_embedded(text)
        if self.budget is not None:
            self.budget.spend(len(text) // CHARS_PER_STEP)
        return self._normalized(text)

    def output(self, text: str) -> str:
        """Return program output (a notebook's) as a terminal shows it.

        Colour codes are dropped, a line rewritten with carriage returns or
        backspaces keeps its last version, and what normalising removes is
        not reported: control characters there are the program's, not the
        student's.
        """
        if self.budget is not None:
            self.budget.spend(len(text) // OUTPUT_CHARS_PER_STEP + text.count("\n"))
        text = _as_shown(_ANSI.sub("", text))
        return normalize(text).text

    def _normalized(self, text: str) -> str:
        result = normalize(text)
        if result.invisible:
            self.count += 1
            for name in result.invisible:
                self._names.setdefault(name)
        return elide_embedded(result.text)

    @property
    def removed(self) -> list[str]:
        """Names of the invisible characters removed, first seen first."""
        return list(self._names)

    def message(self, file: str) -> str:
        """The problem message naming what was removed from ``file``."""
        names = self.removed
        shown = ", ".join(n.lower() for n in names[:MAX_NAMES])
        more = f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else ""
        return (
            f"{file} contains invisible characters ({shown}{more}); they were "
            "removed before the summary was read"
        )
