"""Fingerprints kept between runs, so a resumed batch only fingerprints anew.

A fingerprint depends on the graded commit, the rubric, the template
fingerprints and the code that computes it; the cache key is a digest of
all of them, so any change gives a new key and stale entries are never
read. Entries are JSON (never pickle: the cache folder is data, not code),
one file per submission under ``<out>/.similarity-cache/``; entries no
submission used in a run are removed at its end. A folder that is not a
git repository has no commit to key on and is never cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from grading.private.similarity.code import CodeFile, CodePrint
from grading.private.similarity.fingerprint import Artifact, Fingerprint, ImagePrint
from grading.private.similarity.sources import SubmissionSource
from grading.private.similarity.summary_data import SummaryData, Value
from grading.util.io import write_atomic
from grading.util.paths import GRADING_DIR

CACHE_DIR = ".similarity-cache"
VERSION = 1


@functools.cache
def code_digest() -> str:
    """Digest of the code a fingerprint comes from (this package, the reader)."""
    digest = hashlib.sha256()
    for folder in (GRADING_DIR / "private" / "similarity", GRADING_DIR / "summary"):
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def context_digest(settings_data: dict, rubric_sha: str, hashes: frozenset[int]) -> str:
    """Digest of what every fingerprint of a run depends on besides its commit."""
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            [VERSION, settings_data, rubric_sha, code_digest()], sort_keys=True
        ).encode()
    )
    digest.update(np.array(sorted(hashes), dtype="<i8").tobytes())
    return digest.hexdigest()


def key(source: SubmissionSource, context: str) -> str | None:
    """Return the cache key of a submission, or None when it cannot be cached."""
    if not source.commit or not source.path:
        return None
    text = json.dumps([context, source.student, source.path, source.commit])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _array(values: list, dtype) -> np.ndarray:
    return np.array(values, dtype=dtype)


def to_data(fp: Fingerprint) -> dict[str, Any]:
    """Return a fingerprint as JSON data."""
    return {
        "student": fp.student,
        "code": {
            "files": [
                {"path": f.path, "source": f.source, "offsets": f.offsets.tolist()}
                for f in fp.code.files
            ],
            "where": [[h, i, p] for h, (i, p) in fp.code.where.items()],
            "boilerplate": fp.code.boilerplate,
        },
        "summary": {
            "file": fp.summary.file,
            "values": [
                [v.variant, v.kind, v.value, v.digits] for v in fp.summary.values
            ],
            "answers": fp.summary.answers,
            "images": fp.summary.images,
            "samples": fp.summary.samples,
            "problems": fp.summary.problems,
        },
        "answers": fp.answers,
        "images": [
            {
                "path": i.path,
                "identity": i.identity,
                "bits": np.packbits(i.bits).tobytes().hex(),
                "size": int(i.bits.size),
            }
            for i in fp.images
        ],
        "artifacts": [[a.path, a.identity, a.size] for a in fp.artifacts],
        "problems": fp.problems,
    }


def from_data(data: dict[str, Any]) -> Fingerprint:
    """Return the fingerprint :func:`to_data` wrote (raises on damaged data)."""
    code = data["code"]
    summary = data["summary"]
    images = []
    for image in data["images"]:
        bits = np.unpackbits(
            np.frombuffer(bytes.fromhex(image["bits"]), dtype=np.uint8)
        )
        images.append(
            ImagePrint(
                image["path"], image["identity"], bits[: image["size"]].astype(bool)
            )
        )
    return Fingerprint(
        student=data["student"],
        code=CodePrint(
            files=[
                CodeFile(
                    f["path"],
                    f["source"],
                    _array(f["offsets"], np.int64).reshape(-1, 2),
                )
                for f in code["files"]
            ],
            where={int(h): (int(i), int(p)) for h, i, p in code["where"]},
            boilerplate=int(code["boilerplate"]),
        ),
        summary=SummaryData(
            file=summary["file"],
            values=[
                Value(v[0], v[1], float(v[2]), int(v[3])) for v in summary["values"]
            ],
            answers=dict(summary["answers"]),
            images=list(summary["images"]),
            samples=[float(s) for s in summary["samples"]],
            problems=list(summary["problems"]),
        ),
        answers=dict(data["answers"]),
        images=images,
        artifacts=[Artifact(a[0], a[1], int(a[2])) for a in data["artifacts"]],
        problems=list(data["problems"]),
    )


def load(folder: Path | None, entry: str | None) -> Fingerprint | None:
    """Return the cached fingerprint, or None (missing, damaged, no cache)."""
    if folder is None or entry is None:
        return None
    try:
        return from_data(json.loads((folder / f"{entry}.json").read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def store(folder: Path | None, entry: str | None, fp: Fingerprint) -> None:
    """Write a fingerprint to the cache (a failure only costs the next run)."""
    if folder is None or entry is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / f"{entry}.json", json.dumps(to_data(fp)))
    except OSError:
        pass


def prune(folder: Path | None, used: set[str]) -> None:
    """Remove the entries no submission of this run used."""
    if folder is None or not folder.is_dir():
        return
    for path in folder.glob("*.json"):
        if path.stem not in used:
            path.unlink(missing_ok=True)
