"""Grading accuracy on the lab 02 corpus: the grader against the instructor.

Run ``.venv/bin/python bench/bench_fidelity_l02.py [--only NAME ...]``.
Builds every submission of ``tests/fidelity/l02_corpus.py`` (forks from the
mirror of the original course, ours from a fresh release), grades each as
lab 02 and prints, per automatic item, the instructor's points (decided
before the grader ran), the grader's and the error, then the mean absolute
error and the share of items within 0.25 point, and the time per grading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "fidelity"))

from corpus_build import TOLERANCE, build, compare, mirror_available  # noqa: E402
from l02_corpus import LAB, SUBMISSIONS  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "dl-in-iot-hidden-tests-cache"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="grade only these submissions")
    args = parser.parse_args(argv)
    from grading.pipeline.engine import grade
    from grading.pipeline.options import GradeOptions
    from grading.private.packaging import release

    subs = [s for s in SUBMISSIONS if not args.only or s.name in args.only]
    if any(s.is_fork for s in subs) and not mirror_available():
        print("no mirror of the original course: forks are skipped", file=sys.stderr)
        subs = [s for s in subs if not s.is_fork]
    base = Path(tempfile.mkdtemp(prefix="bench-l02-"))
    release(base / "template")
    os.environ["GIT_LFS_SKIP_SMUDGE"] = "1"
    rows, seconds = [], []
    options = GradeOptions(hidden_tests_cache=CACHE, check_environment=False)
    for sub in subs:
        repo = build(sub, base / sub.name, base / "template")
        start = time.perf_counter()
        results = grade(repo, LAB, base / f"{sub.name}-out", options=options)
        seconds.append(time.perf_counter() - start)
        print(f"\n{sub.name} ({sub.version}; {seconds[-1]:.0f} s): {sub.note}")
        for row in compare(sub, results):
            rows.append(row)
            got = "-" if row["got"] is None else f"{row['got']:.2f}"
            mark = "" if row["within"] else "  <-- off"
            wanted = "-" if row["expected"] is None else f"{row['expected']:.2f}"
            print(
                f"  {row['item']:<24} instructor {wanted}  grader "
                f"{got}{mark}  {row['reason']}"
            )
    graded = [r for r in rows if r["expected"] is not None and r["error"] is not None]
    not_asked = [r for r in rows if r["expected"] is None]
    if graded:
        print(
            f"\nmean absolute error {statistics.fmean(r['error'] for r in graded):.3f}"
            f" point per item over {len(graded)} items; within {TOLERANCE}: "
            f"{sum(r['within'] for r in graded) / len(graded):.0%}; "
            f"{statistics.fmean(seconds):.0f} s per grading (mean)"
        )
    if not_asked:
        absent = sum(r["within"] for r in not_asked)
        print(f"items not asked by the version: {absent} of {len(not_asked)} absent")
    return 0 if all(r["within"] for r in graded + not_asked) else 1


if __name__ == "__main__":
    raise SystemExit(main())
