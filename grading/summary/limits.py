"""How much of a summary the reader will read.

A summary is untrusted input: its file sizes are capped
(``max_text_bytes`` for Markdown and text, ``max_binary_bytes`` for
notebooks and PDFs). All limits are data in the rubric's ``[summary]``
section.
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
    pdf_pages : int
        Pages of a PDF whose text is extracted (``max_pdf_pages``).
    """

    text_bytes: int = 2_000_000
    binary_bytes: int = 16_000_000
    pdf_pages: int = 30

    #: Rubric key of each field, for messages that name the limit.
    KEYS = {
        "text_bytes": "max_text_bytes",
        "binary_bytes": "max_binary_bytes",
        "pdf_pages": "max_pdf_pages",
    }

    @classmethod
    def from_data(cls, data: dict) -> Limits:
        """Read the limits from the ``[summary]`` data (defaults where absent)."""
        values = {}
        for name, key in cls.KEYS.items():
            if key in data:
                try:
                    values[name] = max(1, int(data[key]))
                except (TypeError, ValueError):
                    continue
        return cls(**values)
