"""Compare every pair of fingerprints, signal by signal, through indexes.

No signal loops over all pairs: code fingerprints, values and model files
go into inverted indexes (only pairs that share something are ever
visited), images are compared as one matrix of Hamming distances, answers
with rapidfuzz's ``cdist`` per question. What most of the class shares (at
least :meth:`Settings.common_count` submissions) is common knowledge or a
deterministic output, not a copy, and is left out of every signal; so are
values, images and model files the seeded embedded default gives everyone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from grading.private.similarity import code as code_prints
from grading.private.similarity import images as image_hashes
from grading.private.similarity.embedded import Defaults
from grading.private.similarity.fingerprint import Fingerprint
from grading.private.similarity.settings import Settings
from grading.private.similarity.summary_data import Value

Pair = tuple[int, int]
#: A value a summary gives this many variants is a constant, not a result.
REPEATED = 3


@dataclass
class Signal:
    """One signal of one pair: its score in [0, 1] and its evidence."""

    score: float
    summary: str
    details: list[dict] = field(default_factory=list)


def _clip(value: float) -> float:
    return float(min(1.0, max(0.0, value)))


def _pair(i: int, j: int) -> Pair:
    return (i, j) if i < j else (j, i)


# ---------------------------------------------------------------------------
# Code
# ---------------------------------------------------------------------------


def common_code(prints: list[Fingerprint], count: int) -> set[int]:
    """Return the code fingerprints at least ``count`` submissions share."""
    seen = Counter(h for p in prints for h in p.code.hashes)
    return {h for h, n in seen.items() if n >= count}


def code_score(overlap: float, smaller: int, settings: Settings) -> float:
    """Return the code signal of an overlap (share of the smaller side)."""
    span = settings.code_full - settings.code_floor
    size = min(1.0, smaller / max(1, settings.min_fingerprints))
    return _clip((overlap - settings.code_floor) / span) * size


def _code_signal(
    a: code_prints.CodePrint,
    b: code_prints.CodePrint,
    own_a: set[int],
    own_b: set[int],
    shared: set[int],
    settings: Settings,
) -> Signal:
    smaller = min(len(own_a), len(own_b))
    overlap = len(shared) / max(1, smaller)
    score = code_score(overlap, smaller, settings)
    summary = (
        f"{len(shared)} shared code fingerprints: {overlap:.0%} of the smaller "
        f"side's {smaller} own fingerprints (template and common code left out)"
    )
    details = []
    if score > 0:
        details = code_prints.matched_spans(
            a, b, shared, settings.k, settings.max_spans, settings.max_span_lines
        )
    return Signal(score, summary, details)


def code_signals(
    prints: list[Fingerprint], common: set[int], settings: Settings
) -> dict[Pair, Signal]:
    """Return the code signal of every pair that shares a fingerprint."""
    own = [p.code.hashes - common for p in prints]
    index: dict[int, list[int]] = defaultdict(list)
    for i, hashes in enumerate(own):
        for value in hashes:
            index[value].append(i)
    shared: dict[Pair, set[int]] = defaultdict(set)
    for value, owners in index.items():
        for x, i in enumerate(owners):
            for j in owners[x + 1 :]:
                shared[(i, j)].add(value)
    out = {}
    for (i, j), values in shared.items():
        out[(i, j)] = _code_signal(
            prints[i].code, prints[j].code, own[i], own[j], values, settings
        )
    return out


def reference_signal(
    student: Fingerprint,
    reference: code_prints.CodePrint,
    common: set[int],
    settings: Settings,
) -> Signal:
    """Return how much of a student's own code is the reference solution's."""
    own = student.code.hashes - common
    ref = reference.hashes - common
    return _code_signal(student.code, reference, own, ref, own & ref, settings)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def informative_values(
    fp: Fingerprint, settings: Settings, defaults: Defaults
) -> dict[str, Value]:
    """Return the values of a summary that could tell a copy, by key.

    A value counts when its kind has a weight, it has the kind's minimum of
    significant digits, the embedded default does not explain it (one of
    its values, or within its runs' spread: :meth:`Defaults.explains`), and
    the summary does not give it for three variants or more (a constant,
    such as the uncompressed size read into every variant's row, is not a
    measurement).
    """
    out: dict[str, Value] = {}
    repeats = Counter(v.key for v in fp.summary.values)
    for value in fp.summary.values:
        if repeats[value.key] >= REPEATED:
            continue
        kind = settings.kind(value.kind)
        if kind.weight <= 0 or value.digits < kind.min_digits:
            continue
        if defaults.explains(value, fp.summary.samples, settings.default_margin):
            continue
        out.setdefault(value.key, value)
    return out


def number_signals(
    prints: list[Fingerprint], settings: Settings, defaults: Defaults, count: int
) -> tuple[dict[Pair, Signal], int]:
    """Return the numbers signal of every pair with identical values.

    Returns
    -------
    tuple
        The signals, and how many keys were left out as common.
    """
    values = [informative_values(p, settings, defaults) for p in prints]
    index: dict[str, list[int]] = defaultdict(list)
    for i, found in enumerate(values):
        for key in found:
            index[key].append(i)
    common = {key for key, owners in index.items() if len(owners) >= count}
    shared: dict[Pair, list[str]] = defaultdict(list)
    for key, owners in index.items():
        if key in common:
            continue
        for x, i in enumerate(owners):
            for j in owners[x + 1 :]:
                shared[(i, j)].append(key)
    out = {}
    for (i, j), keys in shared.items():
        weight = sum(settings.kind(values[i][k].kind).weight for k in keys)
        details = []
        for key in sorted(keys, key=lambda k: -settings.kind(values[i][k].kind).weight):
            a, b = values[i][key], values[j][key]
            details.append(
                {
                    "kind": a.kind,
                    "value": a.value,
                    "digits": min(a.digits, b.digits),
                    "a": a.variant,
                    "b": b.variant,
                }
            )
        digits = min(d["digits"] for d in details)
        out[(i, j)] = Signal(
            _clip(weight / settings.numbers_full),
            f"{len(keys)} identical values with {digits}+ significant digits "
            f"(weight {weight:g} of {settings.numbers_full:g})",
            details,
        )
    return out, len(common)


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


def image_signals(
    prints: list[Fingerprint], settings: Settings, defaults: Defaults, count: int
) -> dict[Pair, Signal]:
    """Return the images signal of every pair with near-identical images."""
    owners, refs, bits = [], [], []
    for i, fp in enumerate(prints):
        for image in fp.images:
            owners.append(i)
            refs.append(image)
            bits.append(image.bits)
    if not bits:
        return {}
    matrix = np.stack(bits)
    owner = np.array(owners)
    limit = settings.image_max_distance
    keep = np.ones(len(bits), dtype=bool)
    if defaults.images.size and defaults.images.shape[1] == matrix.shape[1]:
        keep &= ~(image_hashes.distances(matrix, defaults.images) <= limit).any(axis=1)
    near = image_hashes.distances(matrix, matrix) <= limit
    near &= owner[:, None] != owner[None, :]
    for x in range(len(bits)):  # an image most of the class has is common
        if len(set(owner[near[x]].tolist())) + 1 >= count:
            keep[x] = False
    near &= keep[:, None] & keep[None, :]
    found: dict[Pair, list[tuple[int, int]]] = defaultdict(list)
    for x, y in zip(*np.nonzero(np.triu(near)), strict=True):
        found[_pair(int(owner[x]), int(owner[y]))].append(
            (int(x), int(y)) if owner[x] < owner[y] else (int(y), int(x))
        )
    distance = image_hashes.distances
    out = {}
    for pair, hits in found.items():
        left = {x for x, _ in hits}
        right = {y for _, y in hits}
        matched = min(len(left), len(right))
        details = []
        for x, y in sorted(hits)[:12]:
            gap = int(distance(matrix[x : x + 1], matrix[y : y + 1])[0, 0])
            details.append(
                {
                    "a": refs[x].path,
                    "b": refs[y].path,
                    "distance": gap,
                    "identical_file": refs[x].identity == refs[y].identity,
                }
            )
        out[pair] = Signal(
            _clip(matched / settings.images_full),
            f"{matched} near-identical images (perceptual hash within "
            f"{limit} of {matrix.shape[1]} bits)",
            details,
        )
    return out


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def answer_signals(
    prints: list[Fingerprint], settings: Settings, count: int
) -> dict[Pair, Signal]:
    """Return the answers signal of every pair with near-duplicate answers."""
    from rapidfuzz import fuzz, process

    found: dict[Pair, list[dict]] = defaultdict(list)
    questions = sorted({q for p in prints for q in p.answers})
    for question in questions:
        owners = [i for i, p in enumerate(prints) if question in p.answers]
        texts = [prints[i].answers[question] for i in owners]
        if len(texts) < 2:
            continue
        scores = process.cdist(
            texts,
            texts,
            scorer=fuzz.ratio,
            score_cutoff=settings.answer_ratio,
            dtype=np.uint8,
        )
        np.fill_diagonal(scores, 0)
        near = scores > 0
        common = near.sum(axis=1) + 1 >= count
        for x, y in zip(*np.nonzero(np.triu(near, 1)), strict=True):
            if common[x] or common[y]:
                continue
            i, j = owners[x], owners[y]
            found[_pair(i, j)].append(
                {
                    "question": question,
                    "ratio": int(scores[x, y]),
                    "a": _excerpt(prints[min(i, j)], question),
                    "b": _excerpt(prints[max(i, j)], question),
                }
            )
    return {
        pair: Signal(
            _clip(len(hits) / settings.answers_full),
            f"{len(hits)} near-duplicate answers (rapidfuzz ratio "
            f"{min(h['ratio'] for h in hits)}+ after normalising)",
            hits,
        )
        for pair, hits in found.items()
    }


def _excerpt(fp: Fingerprint, question: str, limit: int = 700) -> str:
    text = fp.summary.answers.get(question, "")
    return text if len(text) <= limit else text[: limit - 2].rstrip() + " …"


# ---------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------


def artifact_signals(
    prints: list[Fingerprint], settings: Settings, defaults: Defaults, count: int
) -> dict[Pair, Signal]:
    """Return the artifacts signal of every pair with the same model files."""
    index: dict[str, dict[int, str]] = defaultdict(dict)
    for i, fp in enumerate(prints):
        for artifact in fp.artifacts:
            if artifact.identity not in defaults.artifacts:
                index[artifact.identity].setdefault(i, artifact.path)
    found: dict[Pair, list[dict]] = defaultdict(list)
    for identity, owners in index.items():
        if len(owners) < 2 or len(owners) >= count:
            continue
        students = sorted(owners)
        for x, i in enumerate(students):
            for j in students[x + 1 :]:
                found[(i, j)].append({"a": owners[i], "b": owners[j], "id": identity})
    return {
        pair: Signal(
            _clip(len(hits) / settings.artifacts_full),
            f"{len(hits)} identical model files committed",
            hits,
        )
        for pair, hits in found.items()
    }


def combine(signals: dict[str, Signal], settings: Settings) -> float:
    """Return ``1 - prod(1 - weight * signal)`` over the signals of a pair."""
    rest = 1.0
    for name, signal in signals.items():
        rest *= 1.0 - _clip(settings.weight(name) * signal.score)
    return round(1.0 - rest, 4)
