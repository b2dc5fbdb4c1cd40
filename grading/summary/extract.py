"""Pull metrics, deflation and image references out of parsed blocks.

The variant a value belongs to comes from, in this order: the line itself
(``clustered-2: accuracy 0.83``), the enclosing list items, the table row or
column, and the nearest heading that names a variant. A heading that names
only a method (``Clustering``) gives a *family* for table rows that say just
``2`` or ``20%``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grading.summary import numbers
from grading.summary.markdown import Block
from grading.summary.variants import Family, Variants

METRICS = ("accuracy", "precision", "sensitivity", "g_mean", "inference_ms")

# (key, regex) in matching order; Polish stems take any ending.
_LABELS = [
    ("top5", r"top[- ]?5"),
    (
        "samples",
        r"(?:test )?samples|(?:liczba )?próbek|images tested|obrazów testowych",
    ),
    (
        "g_mean",
        r"g[-_ ]?mean|geometric mean|średni\w* geometryczn\w*|sredni\w* geometryczn\w*",
    ),
    ("precision", r"precision|prec|precyzj\w*|ppv"),
    ("sensitivity", r"sensitivity|sens|recall|tpr|czułoś\w*|czulos\w*|czułos\w*"),
    ("accuracy", r"accuracy|acc|dokładnoś\w*|dokladnos\w*|trafnoś\w*|trafnos\w*"),
    ("inference_ms", r"inference(?: time)?|czas\w*(?: inferencji)?|latency|time"),
    ("deflation", r"deflat\w*|deflac\w*|stopień kompresji|stopien kompresji"),
    (
        "size",
        r"(?:compressed |zip(?:ped)? |archive )?size|rozmiar\w*|wielkoś\w*|"
        r"wielkos\w*",
    ),
]
_LABEL_RE = re.compile(
    "|".join(f"(?P<{k}>(?<![\\w-])(?:{p})(?![\\w]))" for k, p in _LABELS), re.IGNORECASE
)
_CONVERTERS = {
    "accuracy": numbers.as_fraction,
    "precision": numbers.as_fraction,
    "sensitivity": numbers.as_fraction,
    "g_mean": numbers.as_fraction,
    "top5": numbers.as_fraction,
    "samples": lambda text: (lambda got: got[0] if isinstance(got, tuple) else got)(
        numbers.first_number(text)
    ),
    "inference_ms": numbers.as_ms,
    "deflation": numbers.as_percent,
}
_ORIGINAL = re.compile(
    r"tflite|original|uncompress|before|przed|oryg|nieskompres|fp32 size", re.IGNORECASE
)
_COMPRESSED = re.compile(
    r"zip|compress|skompres|deflat|after|\bpo\b|archiw", re.IGNORECASE
)
CONFUSION = re.compile(r"confus|macierz|matrix|pomyłek|pomylek|\bcm\b", re.IGNORECASE)
_UNIT_NUMBER = re.compile(
    r"\d(?:[\d \u00a0.,]*\d)?\s*(?:kib|kb|mib|mb|bytes|b)\b", re.IGNORECASE
)


@dataclass
class Extracted:
    """What was read from a summary, before judging it."""

    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    deflation: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    images: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    guessed_units: list[str] = field(default_factory=list)
    image_mismatch: list[tuple[str, str, str]] = field(default_factory=list)
    original_sizes: dict[str, int] = field(default_factory=dict)

    def put_metric(self, variant: str, key: str, value) -> None:
        """Store a metric unless one was already read for that variant."""
        entry = self.metrics.setdefault(variant, {})
        if value is None:
            return
        stored = None if value == numbers.MISSING else float(value)
        if entry.get(key) is None:
            entry[key] = stored

    def put_deflation(self, variant: str, key: str, value) -> None:
        """Store a deflation percentage or a size (first value wins)."""
        entry = self.deflation.setdefault(
            variant, {"percent": None, "size_bytes": None}
        )
        if value is None or value == numbers.MISSING:
            return
        if entry.get(key) is None:
            entry[key] = value


def classify(label: str) -> str | None:
    """Return the metric/deflation/size key a header or label names."""
    match = _LABEL_RE.search(label)
    if not match:
        return None
    key = match.lastgroup
    if key == "size" or (
        key == "deflation" and re.search(r"size|rozmiar", label, re.I)
    ):
        if _ORIGINAL.search(label) and not _COMPRESSED.search(label):
            return "size_orig"
        return "size"
    return key


class _Context:
    """Heading stack: the variant and family each open heading names."""

    def __init__(self, variants: Variants) -> None:
        self.variants = variants
        self.stack: list[tuple[int, str | None, Family | None]] = []

    def push(self, block: Block) -> None:
        while self.stack and self.stack[-1][0] >= block.level:
            self.stack.pop()
        variant = self.variants.resolve(block.text)
        family = self.variants.family_of(block.text)
        if variant and family is None:
            family = self.variants.family_named(variant)
        self.stack.append((block.level, variant, family))

    @property
    def variant(self) -> str | None:
        for _, variant, _ in reversed(self.stack):
            if variant:
                return variant
        return None

    @property
    def family(self) -> Family | None:
        for _, _, family in reversed(self.stack):
            if family:
                return family
        return None


def _value(key: str, text: str, default_unit: str, out: Extracted, variant: str):
    if key in ("size", "size_orig"):
        got = numbers.as_bytes(text, default_unit)
        if isinstance(got, tuple):
            size, guessed = got
            if guessed and variant not in out.guessed_units:
                out.guessed_units.append(variant)
            return size
        return got
    return _CONVERTERS[key](text)


def _store(out: Extracted, variant: str, key: str, value) -> None:
    if key in METRICS or key in ("top5", "samples"):
        out.put_metric(variant, key, value)
    elif key == "deflation":
        out.put_deflation(variant, "percent", value)
    elif key == "size":
        out.put_deflation(variant, "size_bytes", value)
    elif key == "size_orig" and isinstance(value, int):
        out.original_sizes.setdefault(variant, value)


def _segments(line: str, variants: Variants) -> list[tuple[str, str | None]]:
    """Split a line at each exact variant name when it names several."""
    hits = variants.exact_mentions(line)
    if len(hits) < 2:
        return [(line, None)]
    parts = []
    for i, (start, name) in enumerate(hits):
        end = hits[i + 1][0] if i + 1 < len(hits) else len(line)
        parts.append((line[start:end], name))
    return parts


def _line(line: str, variant: str, out: Extracted) -> None:
    """Read labelled values from one line that belongs to ``variant``."""
    labels = list(_LABEL_RE.finditer(line))
    i = 0
    while i < len(labels):
        match = labels[i]
        key = classify(match.group(0)) or match.lastgroup
        j = i + 1
        # labels written back to back ("Mean inference time") are one label
        while j < len(labels) and not line[
            labels[j - 1].end() : labels[j].start()
        ].strip(" -_"):
            j += 1
        end = labels[j].start() if j < len(labels) else len(line)
        start = labels[j - 1].end()
        piece = line[start:end]
        number_at = re.search(
            r"\d|brak|n/a|nan|none|null|(?<!\w)[-—–?](?!\w)", piece, re.I
        )
        if number_at and number_at.start() <= 30:
            piece = piece[number_at.start() :]
            if key == "size" and not _UNIT_NUMBER.match(piece):
                got = numbers.first_number(piece)
                if isinstance(got, tuple) and got[0] < 100:
                    key = None  # "batch size 1" is not a model size
            if key is not None:
                value = _value(key, piece, "", out, variant)
                _store(out, variant, key, value)
                if key == "deflation":
                    rest = piece[1:]
                    sized = _UNIT_NUMBER.search(rest)
                    if sized:
                        _store(
                            out,
                            variant,
                            "size",
                            _value("size", sized.group(0), "", out, variant),
                        )
        i = j


def _text_block(
    block: Block, ctx: _Context, variants: Variants, out: Extracted
) -> None:
    parent_variant = None
    for text in reversed(block.parents):
        parent_variant = variants.resolve(text)
        if parent_variant:
            break
    base = parent_variant or ctx.variant
    first_variant = None
    for raw in block.text.split("\n"):
        for line, named in _segments(raw, variants):
            own = named or variants.resolve(line)
            variant = own or base
            first_variant = first_variant or own
            low = line.lower()
            if own and (".zip" in low or "defl:" in low) and _listing(line, own, out):
                continue
            if variant and _LABEL_RE.search(line):
                _line(line, variant, out)
    for src, alt in block.images:
        _image(src, alt, first_variant or base, block.line, variants, out)


_UNZIP_V = re.compile(r"(\d+)\s+(?:Defl:\w|Stored)\s+(\d+)\s+(\d+)%", re.IGNORECASE)
_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sty|lut|kwi|maj|cze|lip|sie"
    r"|wrz|paź|paz|lis|gru)\w*"
)
_LS_L = re.compile(rf"\s(\d+(?:[.,]\d+)?[KMG]?)\s+{_MONTH}\s+\d", re.IGNORECASE)
_DU = re.compile(r"^\s*(\d+(?:[.,]\d+)?)([KMG]?)\s+\S*\.zip\b", re.IGNORECASE)


def _listing(line: str, variant: str, out: Extracted) -> bool:
    """Read sizes from pasted ``unzip -v``, ``ls -l`` or ``du`` lines."""
    match = _UNZIP_V.search(line)
    if match:
        out.original_sizes.setdefault(variant, int(match.group(1)))
        _store(out, variant, "size", int(match.group(2)))
        _store(out, variant, "deflation", float(match.group(3)))
        return True
    match = _LS_L.search(line)
    if match:
        token = match.group(1)
        suffix = token[-1].upper() if token[-1].isalpha() else ""
        got = numbers.as_bytes(token[:-1] + " " + suffix if suffix else token + " B")
        if isinstance(got, tuple):
            _store(out, variant, "size", got[0])
            return True
    match = _DU.search(line)
    if match:
        got = numbers.as_bytes(match.group(1) + " " + (match.group(2) or "K"))
        if isinstance(got, tuple):
            _store(out, variant, "size", got[0])
            return True
    return False


def _image(
    src: str,
    alt: str,
    variant: str | None,
    line: int,
    variants: Variants,
    out: Extracted,
) -> None:
    named = variants.resolve(re.sub(r"[/_.]", " ", src.rsplit("/", 1)[-1]) + " " + alt)
    if variant and named and named != variant and named != variants.baseline:
        out.image_mismatch.append((variant, named, src))
    target = variant or named
    if target and target != variants.baseline:
        out.images.setdefault(target, []).append((src, alt, line))


def _table(block: Block, ctx: _Context, variants: Variants, out: Extracted) -> None:
    rows = [r for r in block.rows if any(c.strip() for c in r)]
    if not rows:
        return
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    images = [(list(r) + [[]] * (width - len(r))) for r in block.cell_images] or [
        [[] for _ in range(width)] for _ in rows
    ]
    header, body = rows[0], rows[1:]
    if variants.resolve(header[0]) and any(re.search(r"\d", h) for h in header[1:]):
        # no header row: each row reads like a line "pruned 20% | deflated 22%"
        for row in rows:
            variant = variants.resolve(row[0])
            if variant:
                _line(" ".join(row), variant, out)
        return
    keys = [classify(h) for h in header]
    units = [numbers.unit_in(h) for h in header]
    if (
        "size" not in keys
        and "size_orig" in keys
        and keys.count("size_orig") == 1
        and not _ORIGINAL.search(header[keys.index("size_orig")].replace("size", ""))
    ):
        keys[keys.index("size_orig")] = "size"
    family = None
    for i, h in enumerate(header):
        if keys[i] is None:
            family = family or variants.family_of(h)
    family = family or ctx.family

    def row_variant(row: list[str]) -> str | None:
        label = " ".join(c for c, k in zip(row, keys, strict=False) if k is None)
        return variants.resolve(label, family) if label.strip() else None

    body_variants = [row_variant(r) for r in body]
    if any(body_variants) and any(keys):
        for r, row in enumerate(body):
            variant = body_variants[r]
            if not variant:
                continue
            for c, key in enumerate(keys):
                if key:
                    _store(
                        out, variant, key, _value(key, row[c], units[c], out, variant)
                    )
            for c in range(width):
                for src, alt in images[r + 1][c] if r + 1 < len(images) else []:
                    _image(src, alt, variant, block.line, variants, out)
        return
    col_variants = [
        variants.resolve(h, family) if i else None for i, h in enumerate(header)
    ]
    if any(col_variants):
        for r, row in enumerate(body):
            key = classify(row[0])
            unit = numbers.unit_in(row[0])
            for c, variant in enumerate(col_variants):
                if not variant:
                    continue
                if key:
                    _store(out, variant, key, _value(key, row[c], unit, out, variant))
                for src, alt in images[r + 1][c] if r + 1 < len(images) else []:
                    _image(src, alt, variant, block.line, variants, out)
        return
    variant = ctx.variant
    for r, row in enumerate(rows):
        label_variant = variants.resolve(row[0])
        target = label_variant or variant
        if not target:
            for c in range(width):
                for src, alt in images[r][c] if r < len(images) else []:
                    _image(src, alt, None, block.line, variants, out)
            continue
        key = classify(row[0])
        if key and width >= 2:
            _store(
                out,
                target,
                key,
                _value(key, row[1], numbers.unit_in(row[0]), out, target),
            )
        for c in range(width):
            for src, alt in images[r][c] if r < len(images) else []:
                _image(src, alt, target, block.line, variants, out)


def extract(blocks: list[Block], variants: Variants) -> Extracted:
    """Read metrics, deflation and images from ``blocks``.

    Parameters
    ----------
    blocks : list of Block
        From :func:`grading.summary.markdown.parse`.
    variants : Variants
        The resolver of the lab.

    Returns
    -------
    Extracted
        Values per canonical variant name (and the baseline, if named).
    """
    out = Extracted()
    ctx = _Context(variants)
    for block in blocks:
        if block.kind == "heading":
            ctx.push(block)
            for src, alt in block.images:
                _image(src, alt, ctx.variant, block.line, variants, out)
        elif block.kind in ("text", "code"):
            _text_block(block, ctx, variants, out)
        elif block.kind == "table":
            _table(block, ctx, variants, out)
    return out
