"""Benchmark: milliseconds per summary over every summary fixture.

Run ``python bench/bench_summary.py [--repeat N]``. It analyses each fixture
of ``tests/summary/fixtures`` (and the shared real example when present) N
times after one warm-up run and prints the median time per summary. The
target is at most 50 ms per summary on the course machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from grading.pipeline.rubric import load_rubric
from grading.summary import analyze

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "summary" / "fixtures"
REFERENCE = Path("/work/shared/reference/lab03-student-summary-en.md")
TARGET_MS = 50.0


def _cases() -> list[tuple[str, Path]]:
    cases = []
    for expected in sorted(FIXTURES.glob("*.expected.json")):
        path = json.loads(expected.read_text("utf-8"))["path"]
        cases.append((expected.name.removesuffix(".expected.json"), FIXTURES / path))
    if REFERENCE.is_file():
        cases.append(("shared real example", REFERENCE))
    return cases


def main() -> int:
    """Print the median milliseconds per summary; exit 1 above the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per summary")
    args = parser.parse_args()
    rubric = load_rubric("l03_pruning_clustering")
    rows = []
    for name, path in _cases():
        analyze(path, rubric)  # warm-up: imports, regex compilation
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            analyze(path, rubric)
            times.append((time.perf_counter() - start) * 1000.0)
        rows.append((name, statistics.median(times), max(times)))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'summary':<{width}}  median ms  max ms")
    for name, median, worst in rows:
        print(f"{name:<{width}}  {median:9.2f}  {worst:6.2f}")
    overall = statistics.mean(m for _, m, _ in rows)
    worst = max(m for _, m, _ in rows)
    print(
        f"mean of medians: {overall:.2f} ms per summary; slowest median {worst:.2f} ms "
        f"(target <= {TARGET_MS:.0f} ms)"
    )
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
