"""How much of a summary the reader will read, and a counter that enforces it.

A summary is untrusted input. Its file sizes are capped (``max_text_bytes``
for Markdown and text, ``max_binary_bytes`` for notebooks and PDFs) and the
work of reading it is capped too: the Markdown parser (markdown-it-py, pure
Python) costs from about one microsecond per character of prose to tens of
microseconds per character of dense markup (a run of ``[`` or of table
rows), so a size cap alone cannot bound the time. :class:`Budget` counts
*parser steps* (one per line of input, per block rule tried, per inline
rule tried, per HTML tag, per notebook cell) and stops the reading when
``max_parse_steps`` is exceeded; the summary then goes to a person with a
finding that names the limit. The count depends only on the input, never on
the machine's load, so the same file is always read or always refused.

All limits are data in the rubric's ``[summary]`` section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The size limits of one lab's summaries.

    Parameters
    ----------
    text_bytes : int
        Largest Markdown, text or HTML file read (``max_text_bytes``).
    binary_bytes : int
        Largest notebook or PDF read (``max_binary_bytes``).
    parse_steps : int
        Most parser steps spent on one summary (``max_parse_steps``).
    pdf_pages : int
        Pages of a PDF whose text is extracted (``max_pdf_pages``).
    pdf_seconds : float
        Wall-clock seconds the extraction of a PDF's text may take
        (``max_pdf_seconds``): the only limit in time, because pypdf's work
        cannot be told from the file's size; the text of a PDF is evidence
        for the person who grades it, never points.
    """

    text_bytes: int = 2_000_000
    binary_bytes: int = 16_000_000
    parse_steps: int = 100_000
    pdf_pages: int = 30
    pdf_seconds: float = 1.5

    #: Rubric key of each field, for messages that name the limit.
    KEYS = {
        "text_bytes": "max_text_bytes",
        "binary_bytes": "max_binary_bytes",
        "parse_steps": "max_parse_steps",
        "pdf_pages": "max_pdf_pages",
        "pdf_seconds": "max_pdf_seconds",
    }

    @classmethod
    def from_data(cls, data: dict) -> Limits:
        """Read the limits from the ``[summary]`` data (defaults where absent)."""
        values = {}
        for name, key in cls.KEYS.items():
            if key in data:
                kind = float if name == "pdf_seconds" else int
                try:
                    values[name] = max(kind(0.01), kind(data[key]))
                except (TypeError, ValueError):
                    continue
        return cls(**values)


class BudgetExceeded(Exception):
    """Raised by :meth:`Budget.spend` when the step limit is passed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} parser steps")
        self.limit = limit


class Budget:
    """A deterministic work counter shared by every parser of one summary.

    Parameters
    ----------
    limit : int
        Steps allowed; :meth:`spend` raises :class:`BudgetExceeded` past it.
    """

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, steps: int = 1) -> None:
        """Count ``steps``; raise :class:`BudgetExceeded` when over the limit."""
        self.used += steps
        if self.used > self.limit:
            raise BudgetExceeded(self.limit)
