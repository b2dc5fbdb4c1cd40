"""Benchmark the history check on generated histories of 500 and 10,000 commits.

Run ``.venv/bin/python bench/bench_history.py [--commits 500 10000] [--runs 5]``.
Each history is built with ``git fast-import`` in a temporary folder (a
template commit, then student commits touching code, the summary, and now
and then a junk file), then :func:`grading.history.analyze` runs on it
``--runs`` times after one warm-up. The target is at most 200 ms for 500
commits on the course's 2-core machines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from grading.history import analyze, load_config
from grading.pipeline.rubric import load_rubric

SUBJECTS = [
    "l03_pruning_clustering: Implement step {i}",
    "summaries: Describe result {i}",
    "update",
    "Added tests for step {i}.",
]


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def build(path: Path, commits: int) -> None:
    """Create a repository at ``path`` with ``commits`` commits."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = bytearray()
    for i in range(commits):
        who = b"Course <course@example.org>" if i == 0 else b"Ada <ada@example.org>"
        stamp = 1_700_000_000 + i * 60
        stream += b"commit refs/heads/main\n"
        stream += b"author %s %d +0000\ncommitter %s %d +0000\n" % (
            who,
            stamp,
            who,
            stamp,
        )
        subject = (
            "Initial commit" if i == 0 else SUBJECTS[i % len(SUBJECTS)].format(i=i)
        )
        stream += _data(subject + ("\n\nWhy: it was needed.\n" if i % 7 == 0 else "\n"))
        if i == 0:
            for k in range(30):
                stream += b"M 100644 inline course/file_%d.py\n" % k
                stream += _data(f"x = {k}\n")
        else:
            stream += b"M 100644 inline lab/module_%d.py\n" % (i % 40)
            stream += _data("".join(f"v_{i}_{n} = {n}\n" for n in range(i % 13 + 1)))
            if i % 4 == 1:
                stream += b"M 100644 inline summaries/lab/part_%d.md\n" % (i % 10)
                stream += _data(f"# Part {i}\n")
            if i % 97 == 0:
                stream += b"M 100644 inline build/out_%d.txt\n" % i
                stream += _data("junk\n")
        stream += b"\n"
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=bytes(stream),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)


def main() -> None:
    """Build each history, time the analysis and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[500, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cfg, _item, points = load_config(load_rubric("l03_pruning_clustering"))
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.commits:
            repo = Path(tmp) / f"repo-{count}"
            started = time.perf_counter()
            build(repo, count)
            built = time.perf_counter() - started
            report = analyze(repo, cfg, points)  # warm-up (file cache)
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                report = analyze(repo, cfg, points)
                times.append(time.perf_counter() - started)
            median = statistics.median(times) * 1000
            print(
                f"{count:>6} commits: analyze median {median:7.1f} ms"
                f" (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, "
                f"{args.runs} runs; built in {built:.1f} s); "
                f"{len(report['student_commits'])} student commits, "
                f"base by {report['base']['method']}, score {report['score']}"
            )


if __name__ == "__main__":
    main()
