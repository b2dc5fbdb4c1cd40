"""Grading accuracy on the corpus: the grader against the instructor.

Run ``.venv/bin/python bench/bench_fidelity.py [--only NAME ...] [--keep DIR]``.
Builds every submission of ``tests/fidelity/corpus.py`` (forks of the
original course from its mirror, ``COURSE_MIRROR`` or
``/work/.mirror/antmicro+dl-in-iot-course/repo``; our template from a fresh
release), grades each with the engine and prints, per automatic item, the
points the instructor gives (decided before the grader ran), the grader's,
and the error; then the mean absolute error per submission and overall, and
the share of items within 0.25 point. Items marked pending in the corpus
(waiting for another part of the grader on this branch) are shown with a
``*`` and also summarised without them. One grading takes 30-100 s on two
busy cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "fidelity"))

from corpus import SUBMISSIONS  # noqa: E402
from corpus_build import (  # noqa: E402
    TOLERANCE,
    build,
    compare,
    grade,
    mirror_available,
    version_of,
)

CACHE = Path(tempfile.gettempdir()) / "dl-in-iot-hidden-tests-cache"


def _summary(rows: list[dict], label: str) -> str:
    graded = [r for r in rows if r["error"] is not None]
    if not graded:
        return f"{label}: nothing graded"
    mae = statistics.fmean(r["error"] for r in graded)
    within = sum(r["within"] for r in graded) / len(graded)
    return (
        f"{label}: mean absolute error {mae:.3f} point per item over "
        f"{len(graded)} items; within {TOLERANCE}: {within:.0%}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="grade only these submissions")
    parser.add_argument("--keep", type=Path, help="build and grade in this folder")
    args = parser.parse_args(argv)
    subs = [s for s in SUBMISSIONS if not args.only or s.name in args.only]
    if any(s.is_fork for s in subs) and not mirror_available():
        print("no mirror of the original course: forks are left out", file=sys.stderr)
        subs = [s for s in subs if not s.is_fork]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-fidelity-"))
    work.mkdir(parents=True, exist_ok=True)
    template = None
    if any(not s.is_fork for s in subs):
        from grading.private.packaging import release

        template = work / "template"
        if not template.exists():
            release(template)
    rows, per_sub = [], []
    print(f"{'submission':28} {'item':22} {'expected':>8} {'got':>6} {'error':>6}")
    for sub in subs:
        repo = build(sub, work / sub.name, template)
        start = time.perf_counter()
        results = grade(repo, work / f"{sub.name}-grade", CACHE)
        seconds = time.perf_counter() - start
        found = version_of(results)
        mine = compare(sub, results)
        for row in mine:
            got = "-" if row["got"] is None else f"{row['got']:.2f}"
            error = "-" if row["error"] is None else f"{row['error']:.2f}"
            mark = " " if row["within"] else "!"
            print(
                f"{sub.name:28} {row['item']:22} {row['expected']:8.2f} "
                f"{got:>6} {error:>6}{mark}"
            )
        graded = [r["error"] for r in mine if r["error"] is not None]
        mae = statistics.fmean(graded) if graded else float("nan")
        per_sub.append((sub.name, sum(graded), mae, seconds, found.get("version")))
        rows += mine
    print()
    print(f"{'submission':28} {'abs error':>9} {'MAE':>6} {'seconds':>8}  version")
    for name, total, mae, seconds, found in per_sub:
        print(f"{name:28} {total:9.2f} {mae:6.3f} {seconds:8.0f}  {found}")
    print()
    print(_summary(rows, "all automatic items"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
