"""Pull the text out of a PDF summary with pypdf (for evidence only)."""

from __future__ import annotations

import io

MAX_PAGES = 30


def text(data: bytes) -> tuple[str, int]:
    """Return the text of the first pages of a PDF and its page count.

    Parameters
    ----------
    data : bytes
        The PDF file.

    Returns
    -------
    tuple of (str, int)
        Extracted text (may be empty for scanned pages) and number of pages.

    Raises
    ------
    ValueError
        If pypdf cannot read the file.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        parts = []
        for page in reader.pages[:MAX_PAGES]:
            parts.append(page.extract_text() or "")
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds
        raise ValueError(f"not a readable PDF ({exc.__class__.__name__})") from exc
    return "\n\n".join(parts), pages
