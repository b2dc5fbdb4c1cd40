"""Pull the text out of a PDF summary with pypdf (for evidence only).

A PDF is a program for a parser: a few kilobytes can hold a content stream
of megabytes or a tree of tens of thousands of pages, and pypdf, pure
Python, takes seconds to minutes on them. So the text is extracted in a
child process of the grader's own interpreter (isolated mode: nothing from
the current folder is importable), under a memory limit, and killed after
:data:`SECONDS` (``max_pdf_seconds`` of the rubric). A PDF summary goes to
manual review anyway; its text only helps the person who reads it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

MAX_PAGES = 30
#: Wall-clock seconds the extraction may take.
SECONDS = 1.5
#: Characters of text returned, at most.
MAX_CHARS = 200_000
#: Address space of the child, in bytes.
MEMORY = 1 << 30
_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grading.summary.pdf import _child; _child(int(sys.argv[2]))"
)


def _extract(data: bytes, max_pages: int) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    parts = []
    for page in reader.pages[:max_pages]:
        parts.append(page.extract_text() or "")
        if sum(len(p) for p in parts) > MAX_CHARS:
            break
    return "\n\n".join(parts)[:MAX_CHARS], pages


def _child(max_pages: int) -> None:
    """Entry of the child: PDF bytes on stdin, JSON on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    data = sys.stdin.buffer.read()
    try:
        text, pages = _extract(data, max_pages)
        out = {"text": text, "pages": pages}
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds
        out = {"error": f"not a readable PDF ({exc.__class__.__name__})"}
    json.dump(out, sys.stdout)


def text(
    data: bytes, max_pages: int = MAX_PAGES, seconds: float = SECONDS
) -> tuple[str, int]:
    """Return the text of the first pages of a PDF and its page count.

    Parameters
    ----------
    data : bytes
        The PDF file.
    max_pages : int
        Pages whose text is extracted.
    seconds : float
        Wall-clock limit of the extraction.

    Returns
    -------
    tuple of (str, int)
        Extracted text (may be empty for scanned pages) and number of pages.

    Raises
    ------
    ValueError
        If pypdf cannot read the file, or not within ``seconds``.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, _ROOT, str(max_pages)],
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ValueError(
            f"its text could not be extracted within {seconds:g} s "
            "(max_pdf_seconds in the rubric's [summary])"
        ) from exc
    try:
        out = json.loads(done.stdout or b"{}")
    except ValueError:
        out = {}
    if "text" not in out:
        raise ValueError(out.get("error") or "not a readable PDF (the reader failed)")
    return str(out["text"]), int(out.get("pages", 0))
