"""Run the similarity step: fingerprint every submission, compare, report.

See the package docstring for ``similarity.json``. :func:`detect` computes
the result, :func:`write` stores it, :func:`run_for_batch` is what ``batch``
calls at its end.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import grading
from grading.pipeline.rubric import Rubric, load_rubric
from grading.private.similarity import boilerplate, cache, compare, embedded
from grading.private.similarity.code import fingerprint_code
from grading.private.similarity.fingerprint import Fingerprint, fingerprint
from grading.private.similarity.settings import SIGNALS, Settings, from_rubric
from grading.private.similarity.sources import SubmissionSource, discover
from grading.private.similarity.view import SIMILARITY_JSON
from grading.util.io import write_json
from grading.util.paths import REFERENCE_DIR

#: Unflagged pairs listed at most (flagged pairs are always listed).
MAX_UNFLAGGED = 100

_WORKER: dict[str, Any] = {}


def _init_worker(
    rubric: Rubric,
    settings: Settings,
    hashes: frozenset[int],
    cache_dir: Path | None = None,
    context: str = "",
) -> None:
    _WORKER.update(
        rubric=rubric,
        settings=settings,
        hashes=hashes,
        cache_dir=cache_dir,
        context=context,
    )


def _work(source: SubmissionSource) -> tuple[Fingerprint, str | None, bool]:
    """Return the fingerprint of ``source``, its cache key, and if it was cached."""
    entry = cache.key(source, _WORKER["context"]) if _WORKER["cache_dir"] else None
    cached = cache.load(_WORKER["cache_dir"], entry)
    if cached is not None:
        return cached, entry, True
    try:
        fp = fingerprint(
            source, _WORKER["rubric"], _WORKER["settings"], _WORKER["hashes"]
        )
    except Exception as exc:  # noqa: BLE001 - one bad submission never stops a class
        fp = Fingerprint(source.student)
        fp.problems.append(f"could not be fingerprinted: {exc!r}")
        return fp, None, False
    cache.store(_WORKER["cache_dir"], entry, fp)
    return fp, entry, False


def fingerprints(
    sources: list[SubmissionSource],
    rubric: Rubric,
    settings: Settings,
    hashes: frozenset[int],
    *,
    jobs: int = 1,
    progress: bool = False,
    cache_dir: Path | None = None,
) -> tuple[list[Fingerprint], int]:
    """Fingerprint every submission, ``jobs`` at a time, in input order.

    With ``cache_dir``, fingerprints of an earlier run with the same commit,
    rubric, templates and code are read from it instead (see
    :mod:`~grading.private.similarity.cache`), and unused entries removed.

    Returns
    -------
    tuple
        The fingerprints and how many came from the cache.
    """
    from tqdm import tqdm

    context = (
        cache.context_digest(settings.as_dict(), rubric.sha256, hashes)
        if cache_dir
        else ""
    )
    args = (rubric, settings, hashes, cache_dir, context)
    bar = tqdm(
        total=len(sources),
        unit="sub",
        desc="similarity",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    done = []
    try:
        if jobs <= 1 or len(sources) < 4:
            _init_worker(*args)
            for source in sources:
                done.append(_work(source))
                bar.update(1)
        else:
            with ProcessPoolExecutor(
                max_workers=jobs, initializer=_init_worker, initargs=args
            ) as pool:
                for result in pool.map(_work, sources, chunksize=2):
                    done.append(result)
                    bar.update(1)
    finally:
        bar.close()
    if cache_dir:
        cache.prune(cache_dir, {entry for _, entry, _ in done if entry})
    return [fp for fp, _, _ in done], sum(1 for _, _, hit in done if hit)


def _reference_print(rubric: Rubric, settings: Settings, hashes: frozenset[int]):
    if not settings.reference:
        return None
    folder = REFERENCE_DIR / settings.reference
    modules = [
        (f"reference/{p.relative_to(folder).as_posix()}", p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.py"))
        if p.name != "__init__.py"
    ]
    if not modules:
        return None
    return fingerprint_code(
        modules, settings.k, settings.window, hashes, settings.min_own
    )


def _reference(
    prints: list[Fingerprint],
    rubric: Rubric,
    settings: Settings,
    hashes: frozenset[int],
    common: set[int],
) -> list[dict]:
    """Return the students whose own code is close to the reference solution."""
    ref_print = _reference_print(rubric, settings, hashes)
    if ref_print is None:
        return []
    found = []
    for fp in prints:
        signal = compare.reference_signal(fp, ref_print, common, settings)
        if signal.score > 0:
            found.append(
                {
                    "student": fp.student,
                    "score": round(signal.score, 4),
                    "flagged": signal.score >= settings.reference_threshold,
                    "evidence": _evidence({"code": signal}),
                }
            )
    return sorted(found, key=lambda r: (-r["score"], r["student"]))


def _evidence(signals: dict[str, compare.Signal]) -> list[dict]:
    return [
        {
            "signal": name,
            "score": round(s.score, 4),
            "summary": s.summary,
            "details": s.details,
        }
        for name, s in sorted(signals.items(), key=lambda kv: -kv[1].score)
    ]


def _pairs(
    prints: list[Fingerprint], settings: Settings, defaults: embedded.Defaults
) -> tuple[list[dict], dict[str, Any]]:
    count = settings.common_count(len(prints))
    common = compare.common_code(prints, count)
    numbers, common_numbers = compare.number_signals(prints, settings, defaults, count)
    by_signal = {
        "code": compare.code_signals(prints, common, settings),
        "numbers": numbers,
        "images": compare.image_signals(prints, settings, defaults, count),
        "answers": compare.answer_signals(prints, settings, count),
        "artifacts": compare.artifact_signals(prints, settings, defaults, count),
    }
    keys = sorted({pair for found in by_signal.values() for pair in found})
    pairs = []
    for i, j in keys:
        signals = {
            name: found[(i, j)] for name, found in by_signal.items() if (i, j) in found
        }
        score = compare.combine(signals, settings)
        if score <= 0:
            continue
        pairs.append(
            {
                "a": prints[i].student,
                "b": prints[j].student,
                "score": score,
                "flagged": score >= settings.threshold,
                "signals": {
                    n: round(signals[n].score, 4) if n in signals else 0.0
                    for n in SIGNALS
                },
                "evidence": _evidence(
                    {n: s for n, s in signals.items() if s.score > 0}
                ),
            }
        )
    pairs.sort(key=lambda p: (-p["score"], p["a"], p["b"]))
    stats = {
        "common_count": count,
        "common_code": len(common),
        "common_values": common_numbers,
        "code_sets": common,
    }
    return pairs, stats


def _students(prints: list[Fingerprint]) -> list[dict]:
    return [
        {
            "student": fp.student,
            "code_modules": [f.path for f in fp.code.files],
            "code_fingerprints": len(fp.code.where),
            "template_fingerprints": fp.code.boilerplate,
            "summary": fp.summary.file,
            "values": len(fp.summary.values),
            "answers": len(fp.answers),
            "images": len(fp.images),
            "artifacts": len(fp.artifacts),
            "problems": fp.problems + fp.summary.problems[:3],
        }
        for fp in prints
    ]


def detect(
    path: Path,
    *,
    lab: str,
    jobs: int = 1,
    progress: bool = False,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Compare every pair of submissions under ``path``.

    Parameters
    ----------
    path : Path
        A batch's grades folder (the graded commit of each student is read
        from ``<student>/submission.json``) or a folder of clones.
    lab : str
        The lab id of the rubric.
    jobs : int
        Worker processes for the fingerprints.
    progress : bool
        Show a progress bar on stderr.
    data_dir : Path, optional
        Folder of the stored data (``<lab>.boilerplate.json``,
        ``<lab>.embedded-default.json``); the package's ``data/`` by default.
    cache_dir : Path, optional
        Keep fingerprints there between runs (see
        :mod:`~grading.private.similarity.cache`); none by default.

    Returns
    -------
    dict
        The content of ``similarity.json`` (see the module docstring).

    Raises
    ------
    SourceError
        When ``path`` holds no submissions.
    """
    start = time.monotonic()
    rubric = load_rubric(lab)
    settings = from_rubric(rubric)
    sources, is_grades = discover(Path(path))
    hashes, warnings = boilerplate.template_hashes(settings, rubric.lab, data_dir)
    defaults, more = embedded.load(rubric.lab, settings, data_dir)
    warnings += more
    prints, cached = fingerprints(
        sources,
        rubric,
        settings,
        hashes,
        jobs=jobs,
        progress=progress,
        cache_dir=cache_dir,
    )
    fingerprinted = time.monotonic()
    pairs, stats = _pairs(prints, settings, defaults)
    reference = _reference(prints, rubric, settings, hashes, stats["code_sets"])
    flagged = [p for p in pairs if p["flagged"]]
    listed = flagged + [p for p in pairs if not p["flagged"]][:MAX_UNFLAGGED]
    end = time.monotonic()
    count = len(prints)
    return {
        "schema": 1,
        "lab": rubric.lab,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "grader_version": grading.__version__,
        "source": str(path),
        "source_kind": "grades" if is_grades else "clones",
        "submissions": count,
        "pairs_compared": count * (count - 1) // 2,
        "pairs_with_evidence": len(pairs),
        "flagged": len(flagged),
        "pairs": listed,
        "reference": reference,
        "common": {k: v for k, v in stats.items() if k != "code_sets"},
        "students": _students(prints),
        "warnings": warnings,
        "fingerprints_cached": cached,
        "seconds": {
            "fingerprints": round(fingerprinted - start, 2),
            "compare": round(end - fingerprinted, 2),
            "total": round(end - start, 2),
        },
        "settings": settings.as_dict(),
    }


def write(result: dict[str, Any], out: Path) -> Path:
    """Write ``similarity.json`` into ``out`` (atomically) and return its path."""
    return write_json(Path(out) / SIMILARITY_JSON, result, sort_keys=False)


def default_jobs() -> int:
    """Return the worker processes to use by default (the CPUs we may run on)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_for_batch(
    out: Path, *, lab: str, jobs: int = 1, progress: bool = True
) -> Path | None:
    """Run the similarity step at the end of a batch; never raises.

    Writes ``OUT/similarity.json`` and re-renders the class page so that it
    shows the flagged pairs. A failure is printed and the batch goes on.

    Returns
    -------
    Path or None
        ``similarity.json``, or None when the step failed.
    """
    try:
        result = detect(
            out, lab=lab, jobs=jobs, progress=progress, cache_dir=out / cache.CACHE_DIR
        )
        path = write(result, out)
        from grading.report import write_gradebook

        write_gradebook(out)
    except Exception as exc:  # noqa: BLE001 - the batch ends with its gradebook
        print(
            f"batch: the similarity step failed ({exc!r}); the grades are kept",
            file=sys.stderr,
        )
        return None
    print(
        f"batch: similarity: {result['flagged']} flagged pair(s) of "
        f"{result['pairs_compared']} in {result['seconds']['total']:.1f} s "
        f"({path})",
        file=sys.stderr,
    )
    return path
