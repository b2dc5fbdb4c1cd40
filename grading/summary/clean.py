"""Normalise every piece of text of one summary before any rule reads it.

:class:`Cleaner` runs :func:`grading.util.text.normalize` (NFKC, invisible
format characters removed) on each text it is given and remembers the names
of the characters it removed, so that the reader can report them: a
zero-width space inside ``deflated`` or a right-to-left override in a
heading is itself a finding. Embedded base64 images are elided first, so
their payload is never normalised or parsed.
"""

from __future__ import annotations

from grading.summary.limits import Budget
from grading.summary.markdown import elide_embedded
from grading.util.text import normalize

#: Names of removed characters kept for the finding.
MAX_NAMES = 8


#: Characters of text per step of the budget (normalising, parsing and
#: matching labels cost about a microsecond per character together).
CHARS_PER_STEP = 10


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
