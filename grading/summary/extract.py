"""Pull metrics, deflation and image references out of parsed blocks.

The variant a value belongs to comes from, in this order: the line itself
(``clustered-2: accuracy 0.83``), the enclosing list items, the table row or
column, the nearest label paragraph (``**Pruned 50%**``, ``klastry: 4``) and
the nearest heading that names a variant. A heading that names only a
method (``Clustering``) gives a *family* for table rows that say just ``2``
or ``20%``. An image belongs to the variant its file is named after
(``img/pruned-0.5-fp32-confusion-matrix.png``) before any context.

Code blocks and notebook outputs are read as pasted text: tables aligned
with spaces or pipes (``print(df)``, tabulate), then tool listings and
labelled lines (:mod:`grading.summary.lines`).
"""

from __future__ import annotations

from grading.summary import tables
from grading.summary.found import CONFUSION, Extracted, image
from grading.summary.labels import LABEL_RE
from grading.summary.limits import Budget
from grading.summary.lines import read_text
from grading.summary.markdown import Block
from grading.summary.result import METRIC_KEYS
from grading.summary.variants import Family, Variants

METRICS = METRIC_KEYS
__all__ = ["CONFUSION", "METRICS", "Context", "Extracted", "extract"]
#: A short paragraph that only names a variant labels what follows it.
_LABEL_WORDS = 5


class Context:
    """Heading stack and label paragraphs: the variant and family in force."""

    def __init__(self, variants: Variants) -> None:
        self.variants = variants
        self.stack: list[tuple[int, str | None, Family | None]] = []
        self.label: tuple[str | None, Family | None] = (None, None)

    def push(self, block: Block) -> None:
        """Enter a heading: close deeper ones and any label paragraph."""
        while self.stack and self.stack[-1][0] >= block.level:
            self.stack.pop()
        self.stack.append((block.level, *self._named(block.text)))
        self.label = (None, None)

    def _named(self, text: str) -> tuple[str | None, Family | None]:
        variant = self.variants.resolve(text)
        family = self.variants.family_of(text)
        if variant and family is None:
            family = self.variants.family_named(variant)
        return variant, family

    def maybe_label(self, block: Block) -> bool:
        """Take a short paragraph that only names a variant as a label."""
        text = block.text.strip()
        if block.images or "\n" in text or not text:
            return False
        if not (block.bold or text.endswith(":") or len(text.split()) <= _LABEL_WORDS):
            return False
        if LABEL_RE.search(text):
            return False
        variant, family = self._named(text.rstrip(":"))
        if variant is None and family is None:
            return False
        self.label = (variant, family)
        return True

    @property
    def variant(self) -> str | None:
        """The variant of the innermost label or heading that names one."""
        if self.label[0]:
            return self.label[0]
        for _, variant, _ in reversed(self.stack):
            if variant:
                return variant
        return None

    @property
    def family(self) -> Family | None:
        """The family of the innermost label or heading that names one."""
        if self.label[1]:
            return self.label[1]
        for _, _, family in reversed(self.stack):
            if family:
                return family
        return None


def _text_block(block: Block, ctx: Context, variants: Variants, out: Extracted) -> None:
    parent = None
    for text in reversed(block.parents):
        parent = variants.resolve(text)
        if parent:
            break
    base = parent or ctx.variant
    first = read_text(block.text, base, variants, out)
    for src, alt in block.images:
        image(src, alt, first or base, block.line, variants, out)


def _code_block(block: Block, ctx: Context, variants: Variants, out: Extracted) -> None:
    lines = block.text.split("\n")
    keep = [True] * len(lines)
    for used, rows in tables.text_tables(lines):
        before = out.stored
        tables.read(rows, [], block.line, ctx, variants, out)
        if out.stored > before:
            for index in used:
                keep[index] = False
    rest = "\n".join(line for line, kept in zip(lines, keep, strict=True) if kept)
    read_text(rest, ctx.variant, variants, out)


def extract(
    blocks: list[Block], variants: Variants, budget: Budget | None = None
) -> Extracted:
    """Read metrics, deflation and images from ``blocks``.

    Parameters
    ----------
    blocks : list of Block
        From :func:`grading.summary.markdown.parse` or the notebook reader.
    variants : Variants
        The resolver of the lab.
    budget : Budget, optional
        The summary's step budget; the reading of lines, cells and images
        is charged to it.

    Returns
    -------
    Extracted
        Values per canonical variant name (and the baseline, if named).

    Raises
    ------
    BudgetExceeded
        When the budget runs out.
    """
    out = Extracted(budget=budget)
    ctx = Context(variants)
    for block in blocks:
        out.spend(1)
        if block.kind == "heading":
            ctx.push(block)
            for src, alt in block.images:
                image(src, alt, ctx.variant, block.line, variants, out)
        elif block.kind == "text":
            if not ctx.maybe_label(block):
                _text_block(block, ctx, variants, out)
        elif block.kind == "code":
            _code_block(block, ctx, variants, out)
        elif block.kind == "table":
            tables.read(block.rows, block.cell_images, block.line, ctx, variants, out)
    return out
