"""Read a Jupyter notebook summary with nbformat.

Markdown cells are parsed like a Markdown summary; text outputs become code
blocks (so ``deflated 48%`` printed by a cell is found); Markdown outputs are
parsed; image outputs count as images embedded in the summary. A block's
``line`` is the 1-based cell number.
"""

from __future__ import annotations

import nbformat

from grading.summary import markdown
from grading.summary.markdown import Block


class NotebookError(ValueError):
    """The file is not a notebook nbformat can read."""


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def blocks(source: str) -> list[Block]:
    """Turn notebook JSON into blocks.

    Parameters
    ----------
    source : str
        The ``.ipynb`` file contents.

    Returns
    -------
    list of Block

    Raises
    ------
    NotebookError
        If nbformat cannot read it.
    """
    try:
        notebook = nbformat.reads(source, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise NotebookError(
            f"not a readable Jupyter notebook ({exc.__class__.__name__}: "
            f"{str(exc)[:200]})"
        ) from exc
    out: list[Block] = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        kind = cell.get("cell_type")
        text = _text(cell.get("source", ""))
        if kind == "markdown":
            for block in markdown.parse(text):
                block.line = number
                out.append(block)
            continue
        if kind != "code":
            continue
        if text.strip():
            out.append(Block("code", text=text, line=number))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                out.append(Block("code", text=_text(output.get("text")), line=number))
                continue
            data = output.get("data", {}) or {}
            if "text/markdown" in data:
                for block in markdown.parse(_text(data["text/markdown"])):
                    block.line = number
                    out.append(block)
            elif "text/plain" in data:
                out.append(Block("code", text=_text(data["text/plain"]), line=number))
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                if mime in data:
                    out.append(
                        Block(
                            "text",
                            text="",
                            line=number,
                            images=[
                                (f"data:{mime};base64,", f"output of cell {number}")
                            ],
                        )
                    )
    return out
