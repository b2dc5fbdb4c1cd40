"""Grading accuracy on the corpus: the grader against the instructor.

Run ``.venv/bin/python bench/bench_fidelity.py [--only NAME ...] [--keep DIR]``.
Builds every submission of ``tests/fidelity/corpus.py`` (forks of the
original course from its mirror, ``COURSE_MIRROR`` or
``/work/.mirror/antmicro+dl-in-iot-course/repo``; our template from a fresh
release), grades each with the engine and prints, per automatic item, the
points the instructor gives (decided before the grader ran), the grader's,
and the error (``!`` beyond 0.25); then per submission |sum expected - sum got|
and the mean error per item; overall the mean per item, the share of items
within 0.25 point, and the issue's Done-when metric, the mean over the
submissions of |sum expected - sum got| (at most 0.25: exit status 1 when
above). One grading takes 20-100 s on two busy cores. Without the mirror
the forks are left out, and it says so.
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
    LAB,
    MEAN_TOLERANCE,
    MIRROR,
    NO_MIRROR,
    TOLERANCE,
    build,
    compare,
    grade,
    mean_submission_error,
    mirror_available,
    submission_error,
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
        print(NO_MIRROR.format(mirror=MIRROR), file=sys.stderr)
        print("forks are left out", file=sys.stderr)
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
        lab = None if sub.detect_lab else LAB
        results = grade(repo, work / f"{sub.name}-grade", CACHE, lab=lab)
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
        per_sub.append(
            (sub.name, submission_error(mine), mae, seconds, found.get("version"))
        )
        rows += mine
    print()
    print(f"{'submission':28} {'|sum err|':>9} {'MAE':>6} {'seconds':>8}  version")
    for name, total, mae, seconds, found in per_sub:
        print(f"{name:28} {total:9.2f} {mae:6.3f} {seconds:8.0f}  {found}")
    print()
    print(_summary(rows, "all automatic items"))
    if not per_sub:
        return 0
    mean = mean_submission_error({name: total for name, total, *_ in per_sub})
    print(
        f"mean over {len(per_sub)} submissions of |sum expected - sum got|: "
        f"{mean:.3f} point (Done-when: at most {MEAN_TOLERANCE})"
    )
    return 0 if mean <= MEAN_TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
