"""Benchmark of batch grading: throughput, speedup and per-submission overhead.

Builds a class of submissions from the released student template (the
reference solution, untouched stubs, and mutants of the reference made by
text substitution), grades it with ``--jobs 1`` and then ``--jobs 2`` in one
run, and prints:

- throughput (submissions per minute) of each run and the speedup;
- the per-submission overhead beyond the hidden tests: the wall time of one
  submission in the batch minus the time its hidden-test check took (the
  working copy, the grader's start-up, the summary and history checks, the
  reports, the atomic publish).

Targets on a 2-core machine: speedup >= 1.7x, overhead <= 1 s.

    .venv/bin/python bench/bench_batch.py                # 20 submissions
    .venv/bin/python bench/bench_batch.py --count 6      # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.private import cohort as batch  # noqa: E402
from grading.private.packaging import release  # noqa: E402

LAB = "l03_pruning_clustering"
MODULE = f"dl_in_iot_course/{LAB}/pruning_clustering_experiments.py"
REFERENCE = REPO / "grading/private/reference" / LAB
REFERENCE = REFERENCE / "pruning_clustering_experiments.py"

#: Text substitutions of the reference, each a plausible student mistake.
MUTANTS = {
    "no-strip-clustering": (
        "stripped = tfmot.clustering.keras.strip_clustering(clustered)",
        "stripped = clustered",
    ),
    "no-strip-pruning": (
        "stripped = tfmot.sparsity.keras.strip_pruning(pruned)",
        "stripped = pruned",
    ),
    "fixed-clusters": ("number_of_clusters=self.num_clusters", "number_of_clusters=8"),
    "no-pruning-step": (
        "callbacks=[tfmot.sparsity.keras.UpdatePruningStep()]",
        "callbacks=[]",
    ),
    "kmeans-init": (
        "CentroidInitialization.LINEAR",
        "CentroidInitialization.KMEANS_PLUS_PLUS",
    ),
    "no-fit-clustered": ("        clustered.fit(", "        (lambda *a, **k: None)("),
    "no-fit-pruned": ("        pruned.fit(", "        (lambda *a, **k: None)("),
    "low-sparsity": (
        "self.target_sparsity, begin_step=0",
        "self.target_sparsity / 2, begin_step=0",
    ),
    "no-trainable": ("        model.trainable = True\n", ""),
    "one-epoch-pruning": ("        self.epochs = 4\n", "        self.epochs = 1\n"),
    "wrong-file": (
        "with open(self.modelpath, 'wb')",
        "with open(str(self.modelpath) + '.bak', 'wb')",
    ),
    "raise-in-prune": (
        "        stripped = tfmot.sparsity.keras.strip_pruning(pruned)",
        "        raise RuntimeError('not finished')",
    ),
    "keras3-import": ("import tf_keras", "import keras as tf_keras"),
    "syntax-error": (
        "def compress_and_fine_tune(self, originalmodel):",
        "def compress_and_fine_tune(self, originalmodel)",
    ),
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Bench Student",
            "-c",
            "user.email=bench@example.org",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def make_class(root: Path, count: int) -> list[str]:
    """Write ``count`` clones under ``root/clones``; return their kinds."""
    template = root / "template"
    release(template)
    reference = REFERENCE.read_text(encoding="utf-8")
    kinds = ["reference", "stubs", "stubs", "stubs"] + [f"mutant:{m}" for m in MUTANTS]
    kinds = (kinds * (count // len(kinds) + 1))[:count]
    clones = root / "clones"
    clones.mkdir()
    for index, kind in enumerate(kinds):
        dest = clones / f"s{index:02d}-{kind.split(':')[-1]}"
        git(clones, "clone", "--quiet", str(template), dest.name)
        if kind == "stubs":
            (dest / "NOTES.md").write_text("Started.\n")
            git(dest, "add", "NOTES.md")
            git(dest, "commit", "-q", "-m", "course: Start lab 03")
            continue
        text = reference
        if kind.startswith("mutant:"):
            old, new = MUTANTS[kind.split(":")[1]]
            if old not in text:
                raise SystemExit(f"mutant {kind}: {old!r} is not in {REFERENCE}")
            text = text.replace(old, new, 1)
        (dest / MODULE).write_text(text, encoding="utf-8")
        git(dest, "add", MODULE)
        git(dest, "commit", "-q", "-m", "course: Implement the lab 03 models")
    return kinds


def grade(clones: Path, out: Path, jobs: int, timeout: float) -> dict:
    subs = batch.load_submissions(clones).submissions
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    # One pass only: the regrade of timeouts would blur jobs 1 against jobs 2;
    # timeouts are counted as failed below.
    outcomes = batch.run_batch(
        subs,
        out,
        jobs=jobs,
        lab=LAB,
        timeout=timeout,
        progress=True,
        regrade_timeouts=False,
    )
    wall = time.monotonic() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    overheads, hidden = [], []
    for outcome in outcomes:
        results = out / outcome.student / "results.json"
        if not results.is_file():
            continue
        data = json.loads(results.read_text())
        check = data.get("checks", {}).get("hidden_tests", {})
        seconds = check.get("seconds", 0.0)
        # The sandboxed run's CPU never reaches this process's rusage
        # (bubblewrap reaps it): add the sandbox's own count.
        timings = (check.get("details") or {}).get("timings") or {}
        cpu += float(timings.get("pytest_cpu") or 0.0)
        hidden.append(seconds)
        overheads.append(outcome.seconds - seconds)
    return {
        "jobs": jobs,
        "wall": wall,
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "count": len(subs),
        "graded": sum(o.status == "graded" for o in outcomes),
        "failed": sum(o.status != "graded" for o in outcomes),
        "overhead_mean": statistics.fmean(overheads) if overheads else float("nan"),
        "overhead_max": max(overheads) if overheads else float("nan"),
        "hidden_mean": statistics.fmean(hidden) if hidden else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=20, help="submissions (default 20)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds per submission (default 600)",
    )
    parser.add_argument("--keep", type=Path, help="keep the class and grades here")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        t0 = time.monotonic()
        kinds = make_class(root, args.count)
        print(
            f"class of {len(kinds)}: {kinds.count('reference')} reference, "
            f"{kinds.count('stubs')} stubs, "
            f"{sum(k.startswith('mutant') for k in kinds)} mutants "
            f"(made in {time.monotonic() - t0:.1f} s)",
            flush=True,
        )
        # Warm the file cache (TensorFlow's first import from a cold disk is
        # slow) so that the first timed run does not pay for it alone.
        warm = root / "warm-up"
        warm.mkdir()
        first = sorted(os.listdir(root / "clones"))[0]
        shutil.copytree(root / "clones" / first, warm / first, symlinks=True)
        grade(warm, root / "grades-warm-up", 1, args.timeout)
        runs = [
            grade(root / "clones", root / f"grades-j{jobs}", jobs, args.timeout)
            for jobs in (1, 2)
        ]
        print()
        print(
            "| jobs | wall (s) | submissions/min | graded | failed | mean hidden "
            "tests (s) | overhead mean (s) | overhead max (s) | CPU s per "
            "submission | cores busy | load avg (1 min) at end |"
        )
        print("| ---: " * 11 + "|")
        for run in runs:
            print(
                f"| {run['jobs']} | {run['wall']:.1f} | "
                f"{60 * run['count'] / run['wall']:.2f} | {run['graded']} | "
                f"{run['failed']} | {run['hidden_mean']:.2f} | "
                f"{run['overhead_mean']:.2f} | {run['overhead_max']:.2f} | "
                f"{run['cpu'] / run['count']:.2f} | {run['cpu'] / run['wall']:.2f} | "
                f"{run['load']:.2f} |"
            )
        speedup = runs[0]["wall"] / runs[1]["wall"]
        overhead = runs[0]["overhead_mean"]
        print()
        print(
            f"speedup --jobs 2 over --jobs 1: {speedup:.2f}x (target >= 1.7x: "
            f"{'met' if speedup >= 1.7 else 'NOT met'})"
        )
        print(
            f"CPU cores this process may use: {len(os.sched_getaffinity(0))}; the "
            "machine is shared, so a load above the jobs count means others ran too;"
            " 'cores busy' (grading CPU seconds over wall seconds) is the figure"
            " that other work disturbs least"
        )
        print(
            f"overhead beyond the hidden tests, --jobs 1: {overhead:.2f} s per "
            f"submission (target <= 1 s: {'met' if overhead <= 1 else 'NOT met'})"
        )
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
            print(f"kept in {args.keep}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
