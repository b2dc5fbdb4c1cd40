"""Turn a Markdown summary into a flat list of blocks with their context.

The parsing is done by markdown-it-py (CommonMark plus its table rule). What
comes out is deliberately simple: headings, text blocks (paragraphs and list
items, one per paragraph), tables (rows of cell texts and the images in each
cell), code blocks and raw HTML. Each block knows its line, the enclosing
list items and whether it sits in a block quote; the extraction code in
:mod:`grading.summary.extract` adds the heading context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

Image = tuple[str, str]  # (src, alt)


@dataclass
class Block:
    """One block of a summary.

    Parameters
    ----------
    kind : {"heading", "text", "table", "code"}
        What the block is. HTML is turned into text and tables.
    text : str
        Plain text (inline markup removed, line breaks kept).
    line : int
        1-based line of the block in the source.
    level : int
        Heading level (1-6) for headings, 0 otherwise.
    parents : tuple of str
        Texts of the list items that enclose this block, outermost first.
    quote : bool
        The block is inside a block quote.
    bold : bool
        The whole paragraph is strong or emphasised (a pseudo-heading).
    images : list of (src, alt)
        Images referenced in the block.
    rows : list of list of str
        Table cells, header row first (tables only).
    cell_images : list of list of list of (src, alt)
        Images in each table cell, same shape as ``rows``.
    """

    kind: str
    text: str = ""
    line: int = 0
    level: int = 0
    parents: tuple[str, ...] = ()
    quote: bool = False
    bold: bool = False
    images: list[Image] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    cell_images: list[list[list[Image]]] = field(default_factory=list)


_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def _inline(token) -> tuple[str, list[Image], bool]:
    """Return the plain text, the images and the all-bold flag of an inline."""
    parts: list[str] = []
    images: list[Image] = []
    depth = 0
    outside = ""
    for child in token.children or []:
        kind = child.type
        if kind in ("strong_open", "em_open"):
            depth += 1
        elif kind in ("strong_close", "em_close"):
            depth -= 1
        elif kind in ("text", "code_inline"):
            parts.append(child.content)
            if depth == 0:
                outside += child.content
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            src = child.attrs.get("src", "")
            images.append((str(src), child.content))
            parts.append(child.content)
        elif kind == "html_inline":
            html = _Html()
            html.feed_safely(child.content)
            images.extend(html.images)
    text = "".join(parts).strip()
    bold = bool(text) and not outside.strip(" :?.\t")
    return text, images, bold


class _Html(HTMLParser):
    """Collect text, images and tables from a piece of raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[Image] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.table_images: list[list[list[list[Image]]]] = []
        self._cell: list[str] | None = None
        self._cell_images: list[Image] = []

    def feed_safely(self, data: str) -> None:
        """Feed ``data``; malformed HTML is ignored rather than raised."""
        try:
            self.feed(data)
            self.close()
        except Exception:  # noqa: BLE001 - HTMLParser may raise on junk
            pass

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            image = (attrs.get("src") or "", attrs.get("alt") or "")
            self.images.append(image)
            if self._cell is not None:
                self._cell_images.append(image)
        elif tag == "table":
            self.tables.append([])
            self.table_images.append([])
        elif tag == "tr" and self.tables:
            self._close_cell()
            self.tables[-1].append([])
            self.table_images[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._close_cell()
            self._cell, self._cell_images = [], []
        elif tag in ("br", "p", "div", "li", "h1", "h2", "h3", "h4"):
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th", "tr", "table"):
            self._close_cell()

    def _close_cell(self) -> None:
        """End the open table cell, if any (HTML lets authors omit </td>)."""
        if self._cell is not None and self.tables:
            if not self.tables[-1]:
                self.tables[-1].append([])
                self.table_images[-1].append([])
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self.table_images[-1][-1].append(self._cell_images)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        else:
            self.text.append(data)


def html_blocks(content: str, line: int, parents, quote) -> list[Block]:
    """Turn a piece of raw HTML into table and text blocks."""
    html = _Html()
    html.feed_safely(content)
    blocks: list[Block] = []
    for rows, images in zip(html.tables, html.table_images, strict=False):
        rows_ok = [r for r in rows if r]
        if rows_ok:
            blocks.append(
                Block(
                    "table",
                    line=line,
                    parents=parents,
                    quote=quote,
                    rows=rows_ok,
                    cell_images=[i for i in images if i],
                )
            )
    text = "".join(html.text).strip()
    if text or html.images:
        blocks.append(
            Block(
                "text",
                text=text,
                line=line,
                parents=parents,
                quote=quote,
                images=html.images,
            )
        )
    return blocks


def parse(source: str) -> list[Block]:
    """Parse Markdown into blocks.

    Parameters
    ----------
    source : str
        The Markdown text.

    Returns
    -------
    list of Block
        Blocks in document order.
    """
    tokens = _PARSER.parse(source)
    blocks: list[Block] = []
    items: list[str | None] = []  # text of each open list item (None = not seen)
    quote = 0
    heading_level = 0
    table: Block | None = None
    row: list[str] = []
    row_images: list[list[Image]] = []
    for token in tokens:
        kind = token.type
        line = (token.map[0] + 1) if token.map else 0
        parents = tuple(t for t in items[:-1] if t) if items else ()
        if kind == "list_item_open":
            items.append(None)
        elif kind == "list_item_close":
            if items:
                items.pop()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote = max(0, quote - 1)
        elif kind == "heading_open":
            heading_level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
        elif kind == "table_open":
            table = Block(
                "table",
                line=line,
                parents=tuple(t for t in items if t),
                quote=bool(quote),
            )
        elif kind == "table_close":
            if table is not None and table.rows:
                blocks.append(table)
            table = None
        elif kind == "tr_open":
            row, row_images = [], []
        elif kind == "tr_close" and table is not None:
            table.rows.append(row)
            table.cell_images.append(row_images)
        elif kind == "inline":
            text, images, bold = _inline(token)
            if table is not None:
                row.append(" ".join(text.split()))
                row_images.append(images)
            elif heading_level:
                blocks.append(
                    Block(
                        "heading",
                        text=" ".join(text.split()),
                        line=line,
                        level=heading_level,
                        images=images,
                    )
                )
                heading_level = 0
            else:
                if items and items[-1] is None:
                    items[-1] = text.split("\n", 1)[0]
                    parents = tuple(t for t in items[:-1] if t)
                blocks.append(
                    Block(
                        "text",
                        text=text,
                        line=line,
                        parents=parents,
                        quote=bool(quote),
                        bold=bold,
                        images=images,
                    )
                )
        elif kind in ("fence", "code_block"):
            blocks.append(
                Block(
                    "code",
                    text=token.content,
                    line=line,
                    parents=tuple(t for t in items if t),
                    quote=bool(quote),
                )
            )
        elif kind == "html_block":
            blocks.extend(
                html_blocks(
                    token.content, line, tuple(t for t in items if t), bool(quote)
                )
            )
    return blocks


def plain_text_blocks(text: str) -> list[Block]:
    """Split plain text (from a PDF) into text blocks, one per paragraph."""
    blocks = []
    line = 1
    for chunk in text.split("\n\n"):
        if chunk.strip():
            blocks.append(Block("text", text=chunk.strip(), line=line))
        line += chunk.count("\n") + 2
    return blocks
