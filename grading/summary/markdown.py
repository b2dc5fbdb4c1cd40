"""Turn a Markdown summary into a flat list of blocks with their context.

The parsing is done by markdown-it-py (CommonMark plus its table rule). What
comes out is deliberately simple: headings, text blocks (paragraphs and list
items, one per paragraph), tables (rows of cell texts and the images in each
cell), code blocks and raw HTML (read by :mod:`grading.summary.htmltext`).
Each block knows its line, the enclosing list items and whether it sits in
a block quote; the extraction code in :mod:`grading.summary.extract` adds
the heading context.

markdown-it-py is linear but slow on dense markup (tens of microseconds per
``[``), so the parser carries a :class:`~grading.summary.limits.Budget`: a
first rule in its block and inline chains spends one step each time a chain
is tried, tables are at most :data:`MAX_COLUMNS` wide and :data:`MAX_ROWS`
long and spend a step per token, and every line of input is a step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_block.table import table as _gfm_table

from grading.summary import htmltext
from grading.summary.limits import Budget, Limits

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


def _block_guard(state, start_line, end_line, silent) -> bool:
    """First block rule: count one step per rule chain tried, never match."""
    state.env["budget"].spend()
    return False


def _inline_guard(state, silent) -> bool:
    """First inline rule: count one step per position tried, never match."""
    state.env["budget"].spend()
    return False


#: A delimiter row with more columns than this makes no table (GFM pads
#: every row to the header's width, so columns times rows is the work).
MAX_COLUMNS = 32
#: Rows of one table; the lines after them are read as text.
MAX_ROWS = 200


def _table(state, start_line, end_line, silent) -> bool:
    """GFM's table rule with a bounded size, charging a step per token."""
    line = start_line + 1
    if line < end_line:
        start = state.bMarks[line] + state.tShift[line]
        if state.src.count("|", start, state.eMarks[line]) > MAX_COLUMNS + 1:
            return False
    before = len(state.tokens)
    found = _gfm_table(state, start_line, min(end_line, line + 1 + MAX_ROWS), silent)
    if found and not silent:
        state.env["budget"].spend(len(state.tokens) - before)
    return found


_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
_PARSER.block.ruler.at("table", _table, {"alt": ["paragraph", "reference"]})
_PARSER.block.ruler.before(
    "table",
    "budget",
    _block_guard,
    {"alt": ["paragraph", "reference", "blockquote", "list"]},
)
_PARSER.inline.ruler.before("text", "budget", _inline_guard)
#: Steps charged for one call of the parser (its fixed cost, for notebooks).
CALL_STEPS = 20
_DATA_URI = re.compile(r"(data:image/[\w.+-]{1,40};base64,)[A-Za-z0-9+/=]+")
_IMG_TAG = re.compile(r"<img\b", re.IGNORECASE)


def elide_embedded(text: str) -> str:
    """Drop the payload of embedded ``data:image/...;base64,`` images.

    The reference still says the image is embedded; the megabytes of base64
    never reach the parser.
    """
    if "base64," not in text:
        return text
    return _DATA_URI.sub(r"\1", text)


def _inline(token) -> tuple[str, list[Image], bool]:
    """Return the plain text, the images and the all-bold flag of an inline."""
    parts: list[str] = []
    images: list[Image] = []
    depth = 0
    outside = []
    for child in token.children or []:
        kind = child.type
        if kind in ("strong_open", "em_open"):
            depth += 1
        elif kind in ("strong_close", "em_close"):
            depth -= 1
        elif kind in ("text", "code_inline"):
            parts.append(child.content)
            if depth == 0:
                outside.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            src = child.attrs.get("src", "")
            images.append((str(src), child.content))
            parts.append(child.content)
        elif kind == "html_inline" and _IMG_TAG.match(child.content):
            images.extend(htmltext.read(child.content).images)
    text = "".join(parts).strip()
    bold = bool(text) and not "".join(outside).strip(" :?.\t")
    return text, images, bold


def html_blocks(content: str, line: int, parents, quote, budget) -> list[Block]:
    """Turn a piece of raw HTML into table and text blocks (one step per tag)."""
    budget.spend(content.count("<"))
    html = htmltext.read(content)
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
    text = html.text.strip()
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


def parse(source: str, budget: Budget | None = None) -> list[Block]:
    """Parse Markdown into blocks.

    Parameters
    ----------
    source : str
        The Markdown text (normalised, embedded images elided).
    budget : Budget, optional
        The step counter of this summary; a fresh one with the default limit
        when not given.

    Returns
    -------
    list of Block
        Blocks in document order.

    Raises
    ------
    BudgetExceeded
        When parsing needs more steps than the budget has left.
    """
    if budget is None:
        budget = Budget(Limits().parse_steps)
    budget.spend(CALL_STEPS + source.count("\n"))
    walker = _Walker(budget)
    for token in _PARSER.parse(source, {"budget": budget}):
        walker.token(token)
    return walker.blocks


#: Longest list-item text kept as the context of the blocks inside it.
_PARENT_CHARS = 300


class _Walker:
    """Turn markdown-it's token stream into blocks, one token at a time."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.blocks: list[Block] = []
        self.items: list[str | None] = []  # text of each open list item
        self.quote = 0
        self.heading_level = 0
        self.table: Block | None = None
        self.row: list[str] = []
        self.row_images: list[list[Image]] = []

    def _parents(self, inner: bool = False) -> tuple[str, ...]:
        items = self.items if inner else self.items[:-1]
        return tuple(t for t in items if t)

    def token(self, token) -> None:
        kind = token.type
        line = (token.map[0] + 1) if token.map else 0
        if kind == "list_item_open":
            self.items.append(None)
        elif kind == "list_item_close" and self.items:
            self.items.pop()
        elif kind in ("blockquote_open", "blockquote_close"):
            self.quote = max(0, self.quote + (1 if kind.endswith("open") else -1))
        elif kind == "heading_open":
            self.heading_level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
        elif kind == "table_open":
            self.table = Block(
                "table", line=line, parents=self._parents(True), quote=bool(self.quote)
            )
        elif kind == "table_close":
            if self.table is not None and self.table.rows:
                self.blocks.append(self.table)
            self.table = None
        elif kind == "tr_open":
            self.row, self.row_images = [], []
        elif kind == "tr_close" and self.table is not None:
            self.table.rows.append(self.row)
            self.table.cell_images.append(self.row_images)
        elif kind == "inline":
            self._inline(token, line)
        elif kind in ("fence", "code_block"):
            self.blocks.append(
                Block(
                    "code",
                    text=token.content,
                    line=line,
                    parents=self._parents(True),
                    quote=bool(self.quote),
                )
            )
        elif kind == "html_block":
            self.blocks.extend(
                html_blocks(
                    token.content,
                    line,
                    self._parents(True),
                    bool(self.quote),
                    self.budget,
                )
            )

    def _inline(self, token, line: int) -> None:
        text, images, bold = _inline(token)
        if self.table is not None:
            self.row.append(" ".join(text.split()))
            self.row_images.append(images)
            return
        if self.heading_level:
            self.blocks.append(
                Block(
                    "heading",
                    text=" ".join(text.split()),
                    line=line,
                    level=self.heading_level,
                    images=images,
                )
            )
            self.heading_level = 0
            return
        if self.items and self.items[-1] is None:
            self.items[-1] = text.split("\n", 1)[0][:_PARENT_CHARS]
        self.blocks.append(
            Block(
                "text",
                text=text,
                line=line,
                parents=self._parents(),
                quote=bool(self.quote),
                bold=bold,
                images=images,
            )
        )


def plain_text_blocks(text: str) -> list[Block]:
    """Split plain text (from a PDF) into text blocks, one per paragraph."""
    blocks = []
    line = 1
    for chunk in text.split("\n\n"):
        if chunk.strip():
            blocks.append(Block("text", text=chunk.strip(), line=line))
        line += chunk.count("\n") + 2
    return blocks
