"""Read text, images and tables out of raw HTML in a summary, in linear time.

Summaries embed small pieces of HTML (``<img src=... width=400>``, a
``<table>`` copied from a notebook, ``<br>``). The standard library's
``html.parser`` is quadratic on some malformed input (a run of ``</`` takes
minutes at a few hundred kilobytes on Python 3.11.7), so this module scans
tags with patterns that cannot backtrack: a tag is ``<`` + a name + anything
up to the next ``<`` or ``>``. Only what the reader needs is kept: text,
``<img>`` sources and alternative texts, and table cells.
"""

from __future__ import annotations

import html as _stdlib_html
import re
from dataclasses import dataclass, field

Image = tuple[str, str]  # (src, alt)

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,15})([^<>]*)(>?)")
_ATTR = re.compile(
    r"([A-Za-z_:][-\w:.]{0,40})\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))"
)
_SKIP = ("script", "style", "textarea", "title")
_CLOSE = {name: re.compile(f"</{name}", re.IGNORECASE) for name in _SKIP}
_BREAKS = ("br", "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr")


@dataclass
class Html:
    """What a piece of HTML holds.

    Parameters
    ----------
    text : str
        The text outside tables, tags removed, entities decoded.
    images : list of (src, alt)
        Every ``<img>``, in order.
    tables : list of list of list of str
        Each table as rows of cell texts.
    table_images : list of list of list of list of (src, alt)
        The images of each cell, same shape as ``tables``.
    """

    text: str = ""
    images: list[Image] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    table_images: list[list[list[list[Image]]]] = field(default_factory=list)


def _attrs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        value = match.group(2)
        if value is None:
            value = match.group(3) if match.group(3) is not None else match.group(4)
        out.setdefault(match.group(1).lower(), _stdlib_html.unescape(value or ""))
    return out


class _Reader:
    """State of one scan: open table, row and cell."""

    def __init__(self) -> None:
        self.out = Html()
        self.text: list[str] = []
        self.cell: list[str] | None = None
        self.cell_images: list[Image] = []
        self.depth = 0  # open <table> elements; nested tables are flattened

    def data(self, chunk: str) -> None:
        if not chunk:
            return
        if self.cell is not None:
            self.cell.append(chunk)
        else:
            self.text.append(chunk)

    def close_cell(self) -> None:
        if self.cell is None or not self.out.tables:
            return
        rows, images = self.out.tables[-1], self.out.table_images[-1]
        if not rows:
            rows.append([])
            images.append([])
        text = " ".join(_stdlib_html.unescape("".join(self.cell)).split())
        rows[-1].append(text)
        images[-1].append(self.cell_images)
        self.cell, self.cell_images = None, []

    def tag(self, closing: bool, name: str, raw: str) -> None:
        if name == "img" and not closing:
            attrs = _attrs(raw)
            image = (attrs.get("src", ""), attrs.get("alt", ""))
            self.out.images.append(image)
            if self.cell is not None:
                self.cell_images.append(image)
        elif name == "table":
            self.close_cell()
            if not closing:
                self.depth += 1
                if self.depth == 1:
                    self.out.tables.append([])
                    self.out.table_images.append([])
            else:
                self.depth = max(0, self.depth - 1)
        elif name == "tr" and self.out.tables and self.depth:
            self.close_cell()
            if not closing:
                self.out.tables[-1].append([])
                self.out.table_images[-1].append([])
        elif name in ("td", "th") and self.out.tables and self.depth:
            self.close_cell()
            if not closing:
                self.cell, self.cell_images = [], []
        elif name in _BREAKS:
            self.data("\n" if self.cell is None else " ")


def read(source: str) -> Html:
    """Scan ``source`` (any text, hostile or not) and return what it holds.

    Parameters
    ----------
    source : str
        A fragment or a whole document of HTML.

    Returns
    -------
    Html
        Text, images and tables. Malformed HTML never raises: an unclosed
        comment or script runs to the end, a ``<`` that starts no tag is text.
    """
    reader = _Reader()
    pos, end = 0, len(source)
    while pos < end:
        lt = source.find("<", pos)
        if lt < 0:
            reader.data(_stdlib_html.unescape(source[pos:]))
            break
        reader.data(_stdlib_html.unescape(source[pos:lt]))
        if source.startswith("<!--", lt):
            close = source.find("-->", lt + 4)
            pos = end if close < 0 else close + 3
            continue
        match = _TAG.match(source, lt)
        if match is None:
            reader.data("<")
            pos = lt + 1
            continue
        # an unfinished tag ("<img src=x" then "<table>") ends where the next begins
        closing, name, raw = (
            match.group(1) == "/",
            match.group(2).lower(),
            match.group(3),
        )
        pos = match.end()
        if name in _SKIP and not closing:
            close = _CLOSE[name].search(source, pos)
            pos = end if close is None else close.start()
            continue
        reader.tag(closing, name, raw)
    reader.close_cell()
    reader.out.text = "".join(reader.text)
    return reader.out
