"""Read the tables of a summary: Markdown, HTML and pasted text tables.

A table holds variants in its rows (``| clustered-2-fp32 | 0.81 | 91.8 |``)
or in its columns (``| | Clustered 2 | Clustered 4 |``), or it is a
key/value table under a heading that names the variant, or a gallery of
images (``| Pruned 50% | ![](img/...) |``). Headers are classified by
:func:`grading.summary.labels.classify_header`; with two size columns the
one that says zip/compressed is the compressed size and the other the size
before compression.

:func:`text_tables` finds tables in pasted text (``print(df)`` of pandas,
tabulate, a pipe table inside a code block): runs of lines split into the
same number of cells by two or more spaces, a tab or ``|``.
"""

from __future__ import annotations

import re

from grading.summary import numbers
from grading.summary.found import image, store, value
from grading.summary.labels import COMPRESSED, ORIGINAL, classify_header
from grading.summary.lines import read_line

Image = tuple[str, str]
_SPLIT = re.compile(r"\t|\s{2,}")
_RULE = re.compile(r"[\s|:+=~-]*")
#: Longest cell that may name a variant by its value alone (``20%``).
_SHORT = 12
#: Longest pasted line considered as a table row, in characters.
_MAX_ROW = 2000


def _pad(rows, images):
    """Drop rows with neither text nor images; pad every row to one width."""
    pairs = [(row, images[i] if i < len(images) else []) for i, row in enumerate(rows)]
    pairs = [(r, i) for r, i in pairs if any(c.strip() for c in r) or any(i)]
    if not pairs:
        return [], []
    width = max(len(row) for row, _ in pairs)
    rows = [list(row) + [""] * (width - len(row)) for row, _ in pairs]
    cells = [list(imgs) + [[]] * (width - len(imgs)) for _, imgs in pairs]
    return rows, cells


def _size_columns(keys: list[str | None], header: list[str]) -> None:
    """With several size columns the one that says zip (or compressed) is
    the compressed size, else the last; the others are sizes before it."""
    sizes = [i for i, k in enumerate(keys) if k in ("size", "size_orig")]
    if len(sizes) == 1:
        if not ORIGINAL.search(header[sizes[0]].replace("size", "")):
            keys[sizes[0]] = "size"  # a lone "FP32 size" column is the size given
        return
    if not sizes:
        return
    said = [i for i in sizes if keys[i] == "size"]
    if said and len(said) < len(sizes):
        chosen = said[0]  # "przed kompresją" and "po kompresji" said which is which
    else:
        zipped = [i for i in sizes if COMPRESSED.search(header[i].replace("_", " "))]
        chosen = zipped[0] if zipped else sizes[-1]
    for i in sizes:
        keys[i] = "size" if i == chosen else "size_orig"


def _put(out, variant, key, text, unit) -> None:
    store(out, variant, key, value(key, text, unit), text)


def _images(cells, variant, line, variants, out) -> None:
    for src, alt in cells:
        image(src, alt, variant, line, variants, out)


def read(rows, cell_images, line: int, ctx, variants, out) -> None:
    """Read one table into ``out``.

    Parameters
    ----------
    rows : list of list of str
        Cell texts, header row first.
    cell_images : list of list of list of (src, alt)
        Images of each cell (may be empty).
    line : int
        Line of the table in the summary.
    ctx : grading.summary.extract.Context
        The heading and label context (variant and family in force).
    variants : Variants
    out : grading.summary.extract.Extracted
    """
    rows, images = _pad(rows, cell_images)
    if not rows:
        return
    out.spend(len(rows) * len(rows[0]))
    header = rows[0]
    if _headerless(header, variants):
        for r, row in enumerate(rows):
            variant = variants.resolve(row[0])
            if variant:
                read_line(" ".join(row), variant, out)
            for c in range(len(row)):
                _images(images[r][c], variant or ctx.variant, line, variants, out)
        return
    keys = [classify_header(h) for h in header]
    _size_columns(keys, header)
    units = [numbers.unit_in(h) for h in header]
    named = [bool(variants.resolve(h)) for h in header]
    # "| Clusters | Accuracy |": the header's family labels the rows; a header
    # of variants ("| | clustered-2 |") labels columns, never rows.
    family = next(
        (
            variants.family_of(h)
            for i, h in enumerate(header)
            if keys[i] is None and not named[i] and variants.family_of(h)
        ),
        None,
    )
    row_family = family or (None if any(named[1:]) else ctx.family)
    if _by_rows(rows, images, keys, units, row_family, line, variants, out):
        return
    if _by_columns(rows, images, family or ctx.family, line, variants, out):
        return
    _key_value(rows, images, ctx, line, variants, out)


def _headerless(header: list[str], variants) -> bool:
    """A first row that is data: a variant, then values, no other variant."""
    if not variants.resolve(header[0]):
        return False
    rest = header[1:]
    return any(numbers.NUMBER.search(h) for h in rest) and not any(
        variants.resolve(h) for h in rest
    )


def _by_rows(rows, images, keys, units, family, line, variants, out) -> bool:
    """Variants in rows, keys in the header."""

    def row_variant(row):
        cells = [c for c, k in zip(row, keys, strict=True) if k is None and c.strip()]
        for cell in cells:  # a cell that names a variant itself wins
            if variants.resolve(cell):
                return variants.resolve(cell)
        for cell in cells if family else ():  # "2" or "20%" under "Clustering"
            if len(cell) <= _SHORT and variants.resolve(cell, family):
                return variants.resolve(cell, family)
        return variants.resolve(" ".join(cells)) if len(cells) > 1 else None

    body = rows[1:]
    found = [row_variant(r) for r in body]
    if not any(found) or not any(keys):
        if any(found) and not any(_column_variants(rows[0], family, variants)):
            for r, variant in enumerate(found, start=1):
                for cell in images[r]:
                    _images(cell, variant, line, variants, out)
            return True
        return False
    for r, (row, variant) in enumerate(zip(body, found, strict=True), start=1):
        if not variant:
            continue
        for c, key in enumerate(keys):
            if key:
                _put(out, variant, key, row[c], units[c])
        for cell in images[r]:
            _images(cell, variant, line, variants, out)
    return True


def _column_variants(header, family, variants) -> list[str | None]:
    return [variants.resolve(h, family) if h.strip() else None for h in header]


def _by_columns(rows, images, family, line, variants, out) -> bool:
    """Variants in the header's columns, keys in the first column."""
    columns = _column_variants(rows[0], family, variants)
    if columns and columns[0] and not any(columns[1:]):
        return False
    if not any(columns):
        return False
    labels = [row[0] for row in rows]
    keys = [classify_header(label) for label in labels]
    _size_columns(keys, labels)
    for r, row in enumerate(rows[1:], start=1):
        key, unit = keys[r], numbers.unit_in(labels[r])
        for c, variant in enumerate(columns):
            if not variant:
                continue
            if key:
                _put(out, variant, key, row[c], unit)
            _images(images[r][c], variant, line, variants, out)
    return True


def _key_value(rows, images, ctx, line, variants, out) -> None:
    """``| Metric | Value |`` under a heading that names the variant."""
    width = len(rows[0])
    for r, row in enumerate(rows):
        target = variants.resolve(row[0]) or ctx.variant
        key = classify_header(row[0])
        if target and key and width >= 2:
            _put(out, target, key, row[1], numbers.unit_in(row[0]))
        for cell in images[r]:
            _images(cell, target, line, variants, out)


def _cells(line: str, piped: bool) -> list[str]:
    if piped:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    else:
        cells = [c for c in _SPLIT.split(line.strip().rstrip("\\").strip()) if c]
    return cells


def text_tables(lines: list[str]) -> list[tuple[list[int], list[list[str]]]]:
    """Find tables in pasted text.

    Parameters
    ----------
    lines : list of str
        The lines of a code block or a notebook output.

    Returns
    -------
    list of (line numbers, rows)
        The indices of the lines that are rows, and the rows, header first.
        A header one cell short of its rows (the index column of pandas)
        gets an empty first cell. A run of lines is a table when at least two
        thirds of the lines after its header have as many cells as it.
    """
    found = []
    start = 0
    count = len(lines)
    while start < count:
        if not lines[start].strip():
            start += 1
            continue
        stop = start
        while stop < count and lines[stop].strip():
            stop += 1
        table = _group(lines, start, stop)
        if table:
            found.append(table)
        start = stop
    return found


def _group(lines: list[str], start: int, stop: int):
    """The rows of ``lines[start:stop]`` (no blank line among them), if a table."""
    group = lines[start:stop]
    piped = sum("|" in line for line in group) * 2 > len(group)
    rows = [
        (index, _cells(line, piped))
        for index, line in enumerate(group, start=start)
        if len(line) <= _MAX_ROW and not _RULE.fullmatch(line)
    ]
    rows = [(i, r) for i, r in rows if r]
    if len(rows) < 2 or len(rows[0][1]) < 2:
        return None
    (first, header), width = rows[0], len(rows[0][1])
    body = [(i, r) for i, r in rows[1:] if len(r) in (width, width + 1)]
    if not body or len(body) * 3 < (len(rows) - 1) * 2:
        return None
    if any(len(r) == width + 1 for _, r in body):
        header = ["", *header]
        body = [(i, r if len(r) == width + 1 else ["", *r]) for i, r in body]
    return [first, *(i for i, _ in body)], [header, *(r for _, r in body)]
