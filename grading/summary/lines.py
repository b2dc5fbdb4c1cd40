"""Read labelled values from lines of text.

A line belongs to the variant it names, else to the variant of its block.
``Accuracy: 0.81``, ``deflated 91%``, ``size 8 452``, ``16.4MB -> 1.5MB``,
``Deflation: clustered-2-fp32 91%, clustered-4-fp32 88%`` and pasted tool
output (:mod:`grading.summary.listings`) are read; a label followed by a row
of bare numbers is a table row without its header and is not read.
"""

from __future__ import annotations

import re

from grading.summary import listings, numbers
from grading.summary.found import Extracted, store, value
from grading.summary.labels import LABEL_RE, classify, size_role
from grading.summary.variants import Variants

_VALUE_START = re.compile(
    r"(?<![\w.,])[.,]?\d|(?<!\w)(?:brak|n/a|nan|none|null)(?!\w)|(?<!\w)[-—–?](?!\w)",
    re.I,
)
_ROW_REST = re.compile(r"[\s|:=+-]*")


def _number_row(piece: str) -> bool:
    """A label followed by two or more bare numbers is a table row whose
    header is elsewhere (``deflation  77.0  22.1  36.2``), not one value."""
    if len(numbers.NUMBER.findall(piece)) < 2:
        return False
    return bool(_ROW_REST.fullmatch(numbers.NUMBER.sub("", piece)))


#: Longest part of a line read for values (a values line is short; the rest
#: of a longer one is prose).
MAX_LINE = 4000
_ARROW = re.compile(r"\s*(?:->|-->|→|⟶|=>|⇒|to|do|na)\s*", re.IGNORECASE)


def segments(line: str, variants: Variants) -> list[tuple[str, str | None, str]]:
    """Split a line at each exact variant name when it names several.

    Returns ``(segment, variant or None, prefix)``; ``prefix`` is the text
    before the first name (``Deflation: a 91%, b 88%`` gives both values
    the label of the prefix).
    """
    hits = variants.exact_mentions(line)
    if len(hits) < 2:
        return [(line, None, "")]
    prefix = line[: hits[0][0]]
    parts = []
    for i, (start, name) in enumerate(hits):
        end = hits[i + 1][0] if i + 1 < len(hits) else len(line)
        parts.append((line[start:end], name, prefix))
    return parts


def _sizes(
    line: str, variant: str, out: Extracted, used: list[tuple[int, int]], deflated: bool
) -> None:
    """Sizes with units that no label claimed: ``16.4 MB -> 1.5 MB`` anywhere;
    on a line that gives the deflation, the two sizes or the one size left."""
    free = [
        s for s in numbers.sizes_in(line) if not any(a <= s[0] < b for a, b in used)
    ]
    for left, right in zip(free, free[1:], strict=False):
        if _ARROW.fullmatch(line[left[1] : right[0]]):
            out.put_original(variant, left[2], rank=2)
            out.put_size(variant, right[2], rank=2)
            return
    if not deflated:
        return
    if len(free) == 2:
        small, large = sorted((free[0][2], free[1][2]))
        out.put_original(variant, large)
        out.put_size(variant, small)
    elif len(free) == 1:
        out.put_size(variant, free[0][2])


def read_line(line: str, variant: str, out: Extracted, prefix: str = "") -> None:
    """Read labelled values from one line that belongs to ``variant``."""
    out.spend(4)
    labels = list(LABEL_RE.finditer(line))
    if not labels and prefix:
        key = classify(prefix)
        if key is not None:
            store(out, variant, key, value(key, line), line)
        return
    used: list[tuple[int, int]] = []
    deflated = False
    i = 0
    while i < len(labels):
        j = i + 1
        # labels written back to back ("Mean inference time") are one label
        while j < len(labels) and not line[
            labels[j - 1].end() : labels[j].start()
        ].strip(" -_"):
            j += 1
        end = labels[j].start() if j < len(labels) else len(line)
        begin = labels[i - 1].end() if i else 0
        label_text = line[begin : labels[j - 1].end()]
        key = classify(line[labels[i].start() : labels[j - 1].end()])
        if key in ("size", "size_orig"):
            key = size_role(label_text + line[labels[j - 1].end() : end][:20])
        after = labels[j - 1].end()
        found = _VALUE_START.search(line, after, end)
        if key is not None and found and found.start() - after <= 30:
            at = found.start()
            piece = line[at:end]
            if _number_row(piece):
                key = None  # "deflation  77.0  22.1  36.2": a table row
            elif key in ("size", "size_orig") and not numbers.sizes_in(piece[:40]):
                got = numbers.first_number(piece)
                if isinstance(got, tuple) and got[0] < 100:
                    key = None  # "batch size 1" is not a model size
            if key is not None:
                store(out, variant, key, value(key, piece), piece)
                deflated = deflated or key == "deflation"
                number = numbers.NUMBER.search(line, at)
                if number is not None and key in ("size", "size_orig"):
                    used.append((number.start(), number.end()))
        i = j
    _sizes(line, variant, out, used, deflated)


def read_text(
    text: str, variant_of_block: str | None, variants: Variants, out: Extracted
) -> str | None:
    """Read every line of ``text``; return the first variant a line named."""
    first = None
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        out.spend(1)
        raw = raw[:MAX_LINE]
        for line, named, prefix in segments(raw, variants):
            own = named or variants.resolve(line)
            first = first or own
            variant = own or variant_of_block
            low = line.lower()
            if own and (".zip" in low or ".tflite" in low or "defl" in low):
                if listings.read(line, own, out):
                    continue
            if named and prefix:
                line = line[len(named) :]
            if variant and (
                prefix or LABEL_RE.search(line) or "->" in line or "→" in line
            ):
                read_line(line, variant, out, prefix)
    return first
