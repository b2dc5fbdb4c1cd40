"""Code fingerprints: token-level winnowing with copydetect, stable hashes.

A module is tokenised and filtered by copydetect (Pygments underneath):
identifiers become ``V``, function names ``F``, class names ``O``, strings
``S``; comments and whitespace are dropped. So renaming identifiers,
re-quoting strings, adding comments and reformatting change nothing, and
reordering methods changes only the few k-grams that straddle a method
boundary. Every k-gram (``k`` characters of the filtered text) is hashed and
copydetect's robust winnowing keeps one fingerprint per window.

copydetect hashes k-grams with Python's ``hash()``, which changes from one
process to the next; fingerprints stored as data (the original course's
template versions) and fingerprints computed in worker processes must agree,
so the k-grams are hashed here with BLAKE2b (64 bits) and only the
tokeniser, the winnowing and the span arithmetic come from copydetect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, winnow

#: Name of the k-gram hash, recorded in stored fingerprints.
HASH_NAME = "blake2b-64"


def kgram_hashes(filtered: str, k: int) -> np.ndarray:
    """Return the stable 64-bit hash of every k-gram of ``filtered``.

    Parameters
    ----------
    filtered : str
        Filtered code (see :func:`filter_source`).
    k : int
        Length of a k-gram in characters of the filtered code.

    Returns
    -------
    numpy.ndarray
        ``int64`` hashes, one per start position (empty when shorter than k).
    """
    count = len(filtered) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    data = filtered.encode("utf-8", "surrogatepass")
    if len(data) == len(filtered):  # ASCII: byte offsets are character offsets
        chunks = (data[i : i + k] for i in range(count))
    else:
        chunks = (
            filtered[i : i + k].encode("utf-8", "surrogatepass") for i in range(count)
        )
    values = [
        int.from_bytes(
            hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True
        )
        for chunk in chunks
    ]
    return np.array(values, dtype=np.int64)


def filter_source(code: str, filename: str) -> tuple[str, np.ndarray]:
    """Tokenise and filter one module with copydetect.

    Returns
    -------
    tuple
        The filtered text and copydetect's offsets (``N x 2``: position in
        the filtered text, characters removed before it) that map filtered
        positions back to the source.
    """
    try:
        filtered, offsets = filter_code(code, filename, "python")
    except Exception:  # noqa: BLE001 - Pygments on hostile input: no fingerprint
        return "", np.zeros((0, 2), dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    if offsets.ndim != 2:
        offsets = np.zeros((0, 2), dtype=np.int64)
    return filtered, offsets


def to_source(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Map positions in the filtered text to positions in the source.

    The same arithmetic as :func:`copydetect.detector.compare_files`.
    """
    positions = np.asarray(positions, dtype=np.int64)
    if len(offsets) == 0:
        return positions
    index = np.clip(np.searchsorted(offsets[:, 0], positions), 0, len(offsets) - 1)
    return positions + offsets[:, 1][index]


@dataclass
class CodeFile:
    """One fingerprinted module of a submission.

    Parameters
    ----------
    path : str
        Path inside the submission.
    source : str
        The module's text (kept for the spans shown as evidence).
    offsets : numpy.ndarray
        copydetect's filtered-to-source offsets.
    """

    path: str
    source: str
    offsets: np.ndarray


@dataclass
class CodePrint:
    """The code fingerprint of one submission.

    Parameters
    ----------
    files : list of CodeFile
        The fingerprinted modules.
    where : dict
        Fingerprint hash -> ``(file index, position in the filtered text)``
        of its first occurrence; boilerplate fingerprints are left out.
    boilerplate : int
        Fingerprints dropped because a template version has them.
    """

    files: list[CodeFile] = field(default_factory=list)
    where: dict[int, tuple[int, int]] = field(default_factory=dict)
    boilerplate: int = 0

    @property
    def hashes(self) -> set[int]:
        """The fingerprints that count (boilerplate removed)."""
        return set(self.where)


def fingerprint_code(
    modules: Iterable[tuple[str, str]],
    k: int,
    window: int,
    boilerplate: frozenset[int] | set[int] = frozenset(),
    min_own: float = 0.5,
) -> CodePrint:
    """Fingerprint the modules of one submission.

    Parameters
    ----------
    modules : iterable of (str, str)
        ``(path, source)`` of each module.
    k : int
        Noise threshold: the length of a k-gram of filtered code.
    window : int
        Winnowing window (``guarantee threshold - k + 1``).
    boilerplate : set of int
        k-gram hashes of the template versions.
    min_own : float
        A fingerprint counts only when at least this share of its k-gram is
        not covered by template k-grams (see :func:`_own_share`).

    Returns
    -------
    CodePrint
    """
    result = CodePrint()
    for path, source in modules:
        filtered, offsets = filter_source(source, path)
        index = len(result.files)
        result.files.append(CodeFile(path, source, offsets))
        hashes = kgram_hashes(filtered, k)
        if len(hashes) == 0:
            continue
        own = _own_share(hashes, boilerplate, k, len(filtered))
        selected, positions = winnow(hashes, max(1, window), remove_duplicates=False)
        for value, position in zip(selected.tolist(), positions.tolist(), strict=True):
            if own[position] < min_own:
                result.boilerplate += 1
                continue
            result.where.setdefault(value, (index, position))
    return result


def _own_share(
    hashes: np.ndarray, boilerplate: frozenset[int] | set[int], k: int, length: int
) -> np.ndarray:
    """Return, per k-gram, the share of its characters no template k-gram covers.

    A k-gram that straddles the end of a template method and the first
    statement a student wrote is not in any template, but it is mostly the
    template's text: two students who both start a method with ``return``
    would share it. Only k-grams mostly of the student's own text count.
    """
    if not boilerplate:
        return np.ones(len(hashes))
    template = np.fromiter(
        (value in boilerplate for value in hashes.tolist()),
        dtype=bool,
        count=len(hashes),
    )
    # characters covered by a template k-gram: a start within the last k positions
    starts = np.concatenate([[0], np.cumsum(template)])
    ends = np.minimum(np.arange(length) + 1, len(hashes))
    begins = np.maximum(np.arange(length) - k + 1, 0)
    covered = (starts[ends] - starts[begins]) > 0
    own = np.concatenate([[0], np.cumsum(~covered)])
    index = np.arange(len(hashes))
    return (own[index + k] - own[index]) / k


def template_hashes(modules: Iterable[tuple[str, str]], k: int) -> set[int]:
    """Return every k-gram hash of template modules (the boilerplate).

    All k-grams are kept, not only the winnowed ones, so that a fingerprint
    a student's module selects is recognised whatever its window.
    """
    hashes: set[int] = set()
    for path, source in modules:
        filtered, _ = filter_source(source, path)
        hashes.update(kgram_hashes(filtered, k).tolist())
    return hashes


def _lines(source: str, start: int, end: int) -> tuple[int, int, str]:
    """Return the first and last line numbers and the text of a char range."""
    first = source.count("\n", 0, start) + 1
    last = first + source.count("\n", start, max(start, end - 1))
    lines = source.splitlines()
    return first, last, "\n".join(lines[first - 1 : last])


def matched_spans(
    a: CodePrint,
    b: CodePrint,
    shared: set[int],
    k: int,
    max_spans: int,
    max_lines: int,
) -> list[dict]:
    """Return the longest matched passages of two submissions, side by side.

    Shared fingerprints are grouped into runs that advance in both files
    (copydetect's slice rule: a gap of less than ``k`` filtered characters
    keeps a run going); each run becomes one passage per side, mapped back to
    source lines.

    Returns
    -------
    list of dict
        ``{"a": {"file", "lines", "text"}, "b": {...}, "length"}``, longest
        first, at most ``max_spans``; text cut to ``max_lines`` lines.
    """
    pairs = sorted(
        (a.where[h][0], a.where[h][1], b.where[h][0], b.where[h][1]) for h in shared
    )
    runs: list[list[tuple[int, int, int, int]]] = []
    for pair in pairs:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and pair[0] == last[0]
            and pair[2] == last[2]
            and 0 <= pair[1] - last[1] < k
            and 0 <= pair[3] - last[3] < 2 * k
        ):
            runs[-1].append(pair)
        else:
            runs.append([pair])
    spans = []
    for run in runs:
        side = {}
        length = 0
        for name, doc, file_pos, text_pos in (
            ("a", a, 0, 1),
            ("b", b, 2, 3),
        ):
            code_file = doc.files[run[0][file_pos]]
            slices = get_copied_slices(np.array([p[text_pos] for p in run]), k)
            start = int(slices[0].min())
            end = int(slices[1].max())
            length = max(length, end - start)
            lo, hi = to_source(code_file.offsets, np.array([start, end])).tolist()
            first, last, text = _lines(code_file.source, lo, hi)
            cut = text.splitlines()
            if len(cut) > max_lines:
                text = "\n".join([*cut[:max_lines], "..."])
            side[name] = {"file": code_file.path, "lines": [first, last], "text": text}
        spans.append({**side, "length": length})
    spans.sort(key=lambda s: -s["length"])
    return spans[:max_spans]
