"""Benchmark what a push and a class cost: one run prints every figure.

Run ``.venv/bin/python bench/bench_speed.py [--runs 2] [--count 8] [--skip PART]``.

1. ``pipeline``: the *bare pipeline*, a plain Python process that imports
   TensorFlow and runs the reference solution's work of the hidden tests on
   the hidden tests' own inputs (the masters: data set and tiny model), with
   no sandbox, pytest, spies or artifact checks: ClusteredModel k = 2, 4, 8,
   PrunedModel 0.5 and ``test_inference`` of TFMOTOptimizedModel. Then the
   *hidden check* of the reference submission (``grade``, masters cached,
   after one warm-up grading). Printed: wall and CPU seconds of both and
   their ratio (goal: at most 1.3x). CPU seconds are what the sandbox's
   limits count and what other work on a shared machine disturbs least.
2. ``batch``: a class of ``--count`` (the reference, stubs and mutants, as
   ``bench/bench_batch.py`` makes it) graded with ``--jobs 1`` and then
   ``--jobs 2``; throughput and speedup (goal: at least 1.8x).
3. ``readers``: the summary reader on its hostile inputs as large as the
   rubric's ``[summary]`` limits allow (``bench/bench_summary.py
   --no-fixtures``) and the history reader on histories just under and over
   ``[history.limits]`` (``bench/bench_history.py --runs 1 --quick``).

Under load the wall figures are noisy: repeat (``--runs``) and read the CPU
seconds beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]
SUITE = ROOT / "grading/hidden/suites/l03_pruning_clustering"
LAB = "l03_pruning_clustering"
PARTS = ("pipeline", "batch", "readers")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _python(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, check=True, **kwargs
    )


def bare_child(masters: Path, out: Path) -> None:
    """The bare pipeline (run in a child process by :func:`bare`)."""
    sys.path[:0] = [str(SUITE), str(SUITE.parent)]
    import tensorflow  # noqa: F401 - the import is part of the pipeline

    from dl_in_iot_course.misc.pet_dataset import PetDataset
    from grading.private.reference.l03_pruning_clustering import (
        pruning_clustering_experiments as ref,
    )

    dataset = PetDataset(masters / "pets")
    original = masters / "tiny.h5"
    for k in (2, 4, 8):
        ref.ClusteredModel(
            dataset, out / f"c{k}.tflite", original, None, num_clusters=k
        )
    ref.PrunedModel(dataset, out / "p.tflite", original, None, target_sparsity=0.5)
    runner = ref.TFMOTOptimizedModel(dataset, masters / "fp32.tflite")
    runner.test_inference(out / "results", "fp32", 1.0)


def bare(tmp: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of the bare pipeline (masters built first)."""
    masters = tmp / "bare-masters"
    code = (
        f"import sys; sys.path[:0] = [{str(SUITE)!r}, {str(SUITE.parent)!r}]; "
        f"import l03_fixtures; l03_fixtures.build_masters({str(masters)!r})"
    )
    _python("-c", code, capture_output=True)
    walls, cpus = [], []
    for run in range(runs):
        out = tmp / f"bare-{run}"
        out.mkdir()
        cpu, start = _children_cpu(), time.perf_counter()
        _python(
            str(Path(__file__).resolve()),
            "--bare-child",
            str(masters),
            str(out),
            capture_output=True,
        )
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
        print(
            f"  bare pipeline, run {run + 1}: {walls[-1]:5.1f} s wall, "
            f"{cpus[-1]:5.1f} s CPU",
            flush=True,
        )
    return statistics.median(walls), statistics.median(cpus)


def hidden(tmp: Path, runs: int) -> tuple[float, float, dict]:
    """Median wall seconds of the reference's hidden check, CPU of its pytest."""
    import bench_grade_reference as ref_bench

    submission = ref_bench.make_submission(tmp / "submission")
    cache = tmp / "cache"
    ref_bench.grade_once(submission, tmp / "warm-up", cache)  # builds the masters
    walls, cpus, last = [], [], {}
    for run in range(runs):
        last = ref_bench.grade_once(submission, tmp / f"out-{run}", cache)
        walls.append(last["hidden check"])
        # The sandboxed run's own CPU count (its process tree, sampled by
        # the sandbox): bubblewrap's children are not this process's to reap.
        cpus.append(last["pytest cpu"])
        print(
            f"  hidden check, run {run + 1}: {walls[-1]:5.1f} s wall, "
            f"{cpus[-1]:5.1f} s CPU (tf import {last['tf import']:.1f} s, student "
            f"code {last['student code']:.1f} s, rest of pytest "
            f"{last['rest of pytest']:.1f} s, artifact checks "
            f"{last['artifact checks']:.1f} s)",
            flush=True,
        )
    return statistics.median(walls), statistics.median(cpus), last


def pipeline(runs: int) -> None:
    """Part 1: the bare pipeline against the hidden check."""
    print("part 1: the bare pipeline against the hidden check", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        bare_wall, bare_cpu = bare(Path(tmp), runs)
        check_wall, check_cpu, last = hidden(Path(tmp), runs)
    points = ", ".join(f"{k} {p:g}/{m:g}" for k, (p, m) in last["code items"].items())
    print(f"  code items of the last grading: {points}")
    print(f"  bare pipeline   {bare_wall:6.1f} s wall  {bare_cpu:6.1f} s CPU (median)")
    print(
        f"  hidden check    {check_wall:6.1f} s wall  {check_cpu:6.1f} s CPU (median)"
    )
    ratio, cpu_ratio = check_wall / bare_wall, check_cpu / bare_cpu
    print(
        f"  ratio           {ratio:6.2f}x wall  {cpu_ratio:5.2f}x CPU "
        f"(goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'} on wall, "
        f"{'met' if cpu_ratio <= 1.3 else 'NOT met'} on CPU)",
        flush=True,
    )


def batch(count: int) -> None:
    """Part 2: a class at --jobs 1 and --jobs 2."""
    import bench_batch

    print(f"part 2: a batch of {count} at --jobs 1 and --jobs 2", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-speed-batch-") as tmp:
        root = Path(tmp)
        kinds = bench_batch.make_class(root, count)
        print(f"  class: {', '.join(kinds)}", flush=True)
        runs = [
            bench_batch.grade(root / "clones", root / f"grades-j{j}", j, 600)
            for j in (1, 2)
        ]
    for run in runs:
        print(
            f"  --jobs {run['jobs']}: {run['wall']:6.1f} s wall, "
            f"{60 * run['count'] / run['wall']:5.2f} submissions/min, "
            f"{run['cpu'] / run['count']:5.1f} CPU s each, "
            f"{run['cpu'] / run['wall']:4.2f} cores busy, {run['failed']} not graded, "
            f"load {run['load']:.1f} at the end"
        )
    speedup = runs[0]["wall"] / runs[1]["wall"]
    verdict = "met" if speedup >= 1.8 else "NOT met"
    print(
        f"  speedup {speedup:.2f}x (goal >= 1.8x: {verdict}; "
        f"{len(os.sched_getaffinity(0))} CPUs)",
        flush=True,
    )


def readers() -> None:
    """Part 3: the summary and history readers on the largest inputs."""
    print("part 3: the readers on the largest inputs the bounds allow", flush=True)
    for script, args in (
        ("bench_summary.py", ["--no-fixtures"]),
        ("bench_history.py", ["--runs", "1", "--quick"]),
    ):
        print(f"  {script} {' '.join(args)}:", flush=True)
        done = subprocess.run(
            [sys.executable, str(BENCH / script), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in (done.stdout + done.stderr).splitlines():
            print(f"    {line}")
        print(f"    (exit status {done.returncode})", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of part 1 (2)")
    parser.add_argument("--count", type=int, default=8, help="class of part 2 (8)")
    parser.add_argument(
        "--skip", action="append", default=[], choices=PARTS, help="leave a part out"
    )
    parser.add_argument("--bare-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_child:
        bare_child(*args.bare_child)
        return 0
    started = time.perf_counter()
    print(json.dumps({"load": os.getloadavg(), "cpus": os.cpu_count()}))
    if "pipeline" not in args.skip:
        pipeline(max(1, args.runs))
    if "batch" not in args.skip:
        batch(args.count)
    if "readers" not in args.skip:
        readers()
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
