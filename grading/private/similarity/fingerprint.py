"""One submission's fingerprint: computed once, compared with every other.

The fingerprint holds what the pair comparisons need and nothing they can
recompute: the code fingerprints (with the modules' text, for the passages
shown as evidence), the summary's numbers and answers, a perceptual hash
and a content id per image, and a content id per committed model file.
Fingerprints are plain data, so worker processes can compute them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from grading.pipeline.rubric import Rubric
from grading.private.similarity import code as code_prints
from grading.private.similarity import images as image_hashes
from grading.private.similarity.settings import Settings
from grading.private.similarity.sources import Snapshot, SubmissionSource
from grading.private.similarity.summary_data import (
    SummaryData,
    normalize_answer,
    read_summary,
)
from grading.util.globs import glob_regex

#: Bytes of the summary folder written to a scratch folder for the reader.
MAX_SUMMARY_BYTES = 16_000_000


@dataclass
class ImagePrint:
    """One image: where it is, its content id, its perceptual hash."""

    path: str
    identity: str
    bits: np.ndarray


@dataclass
class Artifact:
    """One committed model file: path, content id, size in bytes."""

    path: str
    identity: str
    size: int


@dataclass
class Fingerprint:
    """Everything compared about one submission.

    Parameters
    ----------
    student : str
        Student id.
    code : CodePrint
        Code fingerprints (see :mod:`grading.private.similarity.code`).
    summary : SummaryData
        Numbers and answers of the summary.
    answers : dict
        Question id -> normalised answer text (long enough to compare).
    images : list of ImagePrint
        The hashed images.
    artifacts : list of Artifact
        Committed model files.
    problems : list of str
        What could not be read (the comparison goes on without it).
    """

    student: str
    code: code_prints.CodePrint = field(default_factory=code_prints.CodePrint)
    summary: SummaryData = field(default_factory=SummaryData)
    answers: dict[str, str] = field(default_factory=dict)
    images: list[ImagePrint] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _excluded(path: str, patterns: tuple[str, ...]) -> bool:
    return any(glob_regex(p).match(path) for p in patterns)


def code_modules(
    snapshot: Snapshot, settings: Settings, protected: tuple[str, ...]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Return ``(path, text)`` of the student's own modules and the problems."""
    problems = []
    entries = [
        e
        for e in snapshot.matching(settings.code)
        if not _excluded(e.path, settings.code_exclude + protected)
    ]
    big = [e.path for e in entries if e.size > settings.max_code_bytes]
    if big:
        problems.append(
            f"{len(big)} module(s) larger than {settings.max_code_bytes} bytes "
            f"not compared (e.g. {big[0]})"
        )
    blobs = snapshot.read_many(entries, settings.max_code_bytes)
    modules = []
    for entry in sorted(entries, key=lambda e: e.path):
        data = blobs.get(entry.path)
        if data is None or b"\0" in data[:4096]:
            continue
        modules.append((entry.path, data.decode("utf-8", "replace")))
    return modules, problems


def _images(snapshot: Snapshot, settings: Settings, referenced: list[str]) -> list:
    entries = [
        e
        for e in snapshot.matching(settings.image_globs)
        if PurePosixPath(e.path).suffix.lower() in image_hashes.IMAGE_EXTS
    ]
    known = {e.path: e for e in snapshot.entries.values()}
    for path in referenced:  # an image the summary links from elsewhere
        if path in known and known[path] not in entries:
            entries.append(known[path])
    entries.sort(key=lambda e: (e.path not in referenced, e.path))
    entries = entries[: settings.max_images]
    blobs = snapshot.read_many(entries, settings.max_image_bytes)
    out = []
    for entry in entries:
        data = blobs.get(entry.path)
        if data is None:
            continue
        bits = image_hashes.phash_bits(data, settings.image_hash_size)
        if bits is not None:
            out.append(ImagePrint(entry.path, snapshot.identity(entry, data), bits))
    return out


def _artifacts(snapshot: Snapshot, settings: Settings) -> list[Artifact]:
    exts = tuple(e.lower() for e in settings.artifact_exts)
    entries = [
        e
        for e in snapshot.entries.values()
        if PurePosixPath(e.path).suffix.lower() in exts
    ]
    out = []
    pointers = snapshot.read_many([e for e in entries if e.size < 1024], 1023)
    for entry in entries:
        data = pointers.get(entry.path)
        identity = snapshot.identity(entry, data)
        lfs = identity.startswith("lfs:")
        if identity and (lfs or entry.size >= settings.artifact_min_bytes):
            out.append(Artifact(entry.path, identity, entry.size))
    return out


def fingerprint(
    source: SubmissionSource,
    rubric: Rubric,
    settings: Settings,
    boilerplate: frozenset[int],
) -> Fingerprint:
    """Compute the fingerprint of one submission; never raises on bad input.

    Parameters
    ----------
    source : SubmissionSource
        Where the graded files are.
    rubric : Rubric
        The lab's rubric (summary folder, protected files, summary data).
    settings : Settings
        The ``[similarity]`` data.
    boilerplate : frozenset of int
        k-gram hashes of every accepted template version.
    """
    result = Fingerprint(source.student)
    if not source.path:
        result.problems.append(source.note or "the submission cannot be read")
        return result
    try:
        snapshot = Snapshot(source)
    except (OSError, ValueError) as exc:
        result.problems.append(f"cannot read {source.path}: {exc}")
        return result
    result.problems += snapshot.problems
    modules, problems = code_modules(snapshot, settings, tuple(rubric.protected))
    result.problems += problems
    result.code = code_prints.fingerprint_code(
        modules, settings.k, settings.window, boilerplate, settings.min_own
    )
    summary_root = str(PurePosixPath(rubric.summary_dir).parts[0]) + "/**"
    folder = snapshot.materialize((summary_root,), MAX_SUMMARY_BYTES)
    try:
        result.summary = read_summary(Path(folder), rubric)
    finally:
        snapshot.release(folder)
    for qid, text in result.summary.answers.items():
        plain = normalize_answer(text)
        if len(plain.split()) >= settings.answer_min_words:
            result.answers[qid] = plain
    result.images = _images(snapshot, settings, result.summary.images)
    result.artifacts = _artifacts(snapshot, settings)
    return result
