"""Benchmark and check the structured-pruning grading (lab 03, part 2).

Run ``.venv/bin/python bench/bench_structured.py [--case NAME ...]`` in an
environment with the structured extra (torch, NNI, onnx, litert-torch).

Each case is the reference solution, or a mutant of it from
``tests/structured/corpus.py``, graded by :func:`grading.pipeline.engine.grade`
in the sandbox with a rubric whose TFMOT part is turned off (so only the
structured hidden run and checks are timed). It prints, per case, the wall
time, the CPU time of the sandboxed children (user + system, which is what
the structured part costs whatever the machine's load), the points of every
structured item, and the corpus's instructor points beside them.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.structured import corpus  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="corpus case (default: all)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    names = args.case or list(corpus.CASES)
    report = {}
    with tempfile.TemporaryDirectory(prefix="bench-structured-") as tmp:
        for name in names:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            results = corpus.grade_case(name, Path(tmp) / name)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (
                after.ru_stime - before.ru_stime
            )
            check = results.get("checks", {}).get("hidden_tests", {})
            timings = (check.get("details") or {}).get("timings") or {}
            # bubblewrap's children are not this process's to reap: the
            # sandboxed run's CPU comes from the sandbox's own count.
            sandboxed = float(timings.get("pytest_cpu") or 0.0)
            points = corpus.structured_points(results)
            expected = corpus.CASES[name]["expected"]
            report[name] = {
                "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "sandboxed_cpu_s": round(sandboxed, 1),
                "hidden_check_s": round(float(check.get("seconds") or 0.0), 1),
                "points": points,
                "expected": expected,
            }
            print(
                f"{name}: wall {wall:.1f} s, hidden check "
                f"{float(check.get('seconds') or 0.0):.1f} s, sandboxed pytest CPU "
                f"{sandboxed:.1f} s, other children CPU {cpu:.1f} s"
            )
            for item, value in points.items():
                want = expected.get(item)
                flag = "" if want is None or abs(value - want) <= 0.25 else "  <-- off"
                print(f"  {item:32} {value:5.2f}  instructor {want}{flag}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
