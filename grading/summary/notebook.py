"""Read a Jupyter notebook summary.

The file is parsed as JSON (linear, in C); notebooks of format 4 are read as
they are, older formats are converted with nbformat. nbformat's validation is
not run on the student's file: it costs tens of microseconds per cell and a
hostile notebook has hundreds of thousands of cells. Markdown cells are parsed
like a Markdown summary. Code cells' *outputs* are read (their source code
is not: it holds names and literals, not results): text outputs become code
blocks, so ``deflated 48%`` or a printed table is found; Markdown outputs are
parsed; HTML outputs that hold a table (``df`` shown by pandas) become
tables; image outputs count as images embedded in the summary. A block's
``line`` is the 1-based cell number.
"""

from __future__ import annotations

import json
import warnings

from grading.summary import markdown
from grading.summary.clean import Cleaner
from grading.summary.limits import Budget
from grading.summary.markdown import Block

#: Steps charged for each cell and each output (their fixed cost).
ITEM_STEPS = 5
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


class NotebookError(ValueError):
    """The file is not a notebook that can be read."""


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _load(source: str) -> dict:
    try:
        data = json.loads(source)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(
            f"not a readable Jupyter notebook (invalid JSON: {str(exc)[:120]})"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("nbformat", 4), int):
        raise NotebookError("not a Jupyter notebook (the JSON is not one)")
    if data.get("nbformat", 4) < 4:
        data = _convert(source, data)
    if not isinstance(data.get("cells"), list):
        raise NotebookError("not a Jupyter notebook (it has no list of cells)")
    return data


def _convert(source: str, data: dict) -> dict:
    """Convert a notebook of format 3 or older with nbformat."""
    import nbformat

    worksheets = data.get("worksheets") or []
    cells = sum(len(w.get("cells") or []) for w in worksheets if isinstance(w, dict))
    if cells > 2000:
        raise NotebookError(f"an old-format notebook with {cells} cells is not read")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(nbformat.reads(source, as_version=4))
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise NotebookError(
            f"not a readable Jupyter notebook ({exc.__class__.__name__})"
        ) from exc


def _markdown(text: str, number: int, budget: Budget, clean: Cleaner) -> list[Block]:
    found = markdown.parse(clean(text), budget)
    for block in found:
        block.line = number
    return found


def _output(output: dict, number: int, budget: Budget, clean: Cleaner) -> list[Block]:
    budget.spend(ITEM_STEPS)
    kind = output.get("output_type")
    if kind == "stream":
        text = clean.output(_text(output.get("text")))
        return [Block("code", text=text, line=number)]
    data = output.get("data")
    if not isinstance(data, dict):
        return []
    found: list[Block] = []
    html = _text(data.get("text/html"))
    if "text/markdown" in data:
        found += _markdown(_text(data["text/markdown"]), number, budget, clean)
    elif "<table" in html.lower():
        found += markdown.html_blocks(clean(html), number, (), False, budget)
    elif "text/plain" in data and not any(mime in data for mime in _IMAGES):
        # the plain text of a figure is its repr ("<Figure size 640x480 ...>")
        text = clean.output(_text(data["text/plain"]))
        found.append(Block("code", text=text, line=number))
    for mime in _IMAGES:
        if mime in data:
            found.append(
                Block(
                    "text",
                    line=number,
                    images=[(f"data:{mime};base64,", f"output of cell {number}")],
                )
            )
    return found


def blocks(source: str, budget: Budget, clean: Cleaner) -> list[Block]:
    """Turn notebook JSON into blocks.

    Parameters
    ----------
    source : str
        The ``.ipynb`` file contents.
    budget : Budget
        The step counter of the summary.
    clean : Cleaner
        Normalises every text taken from the notebook.

    Returns
    -------
    list of Block

    Raises
    ------
    NotebookError
        If the file is not a notebook.
    BudgetExceeded
        If reading it needs more steps than the budget allows.
    """
    out: list[Block] = []
    for number, cell in enumerate(_load(source)["cells"], start=1):
        budget.spend(ITEM_STEPS)
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if kind == "markdown":
            out += _markdown(_text(cell.get("source")), number, budget, clean)
        elif kind == "code" and isinstance(cell.get("outputs"), list):
            for output in cell["outputs"]:
                if isinstance(output, dict):
                    out += _output(output, number, budget, clean)
    return out
