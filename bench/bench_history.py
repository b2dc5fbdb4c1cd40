"""Benchmark the history reader: ordinary histories, hostile ones, the limits.

Run ``.venv/bin/python bench/bench_history.py [--runs 3] [--quick]``.

Every repository is generated in a temporary folder with ``git fast-import``
(or, for the fork, cloned from the course mirror when it is on this machine),
then :func:`grading.history.analyze` runs on it ``--runs`` times after one
warm-up; the medians of wall and CPU time (the reader and its git calls) are
printed with the report's status and the size of its JSON. The figures to
read:

- ordinary histories (500 commits, a fork of the original course with 4
  student commits);
- hostile histories under the limits of ``[history.limits]`` (a 10 MB
  subject, a 50 MB file, 20,000 files in one commit, and one history just
  under each limit: commits, file changes, bytes to diff, bytes of log): each
  must be read in at most 2 s;
- hostile histories over the limits (100,000 commits, 60,000 files in one
  commit, 100 rewrites of a 1 MB file, two 10 MB subjects): each must be
  refused, naming the limit, in at most 2 s.

The machine is shared (2 cores, other jobs): wall times are noisy, CPU times
are what the reader costs on an idle machine; ``--quick`` skips building the
100,000-commit history (about a minute).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's grader, not an installed one

from grading.history import analyze, load_config  # noqa: E402
from grading.history.bounded import Limits  # noqa: E402
from grading.pipeline.rubric import load_rubric  # noqa: E402

MIRROR = Path("/work/.mirror/antmicro+dl-in-iot-course/repo")
SUBJECTS = [
    "l03_pruning_clustering: Implement step {i}",
    "summaries: Describe result {i}",
    "update",
    "Added tests for step {i}.",
]
STUDENT = b"Ada <ada@example.org>"
BUDGET = 2.0


def _data(raw: bytes) -> bytes:
    return b"data %d\n" % len(raw) + raw + b"\n"


class Stream:
    """Commands for ``git fast-import``, one commit at a time."""

    def __init__(self) -> None:
        self.raw = bytearray()
        self.tick = 1_700_000_000

    def commit(self, subject: bytes, files: dict[str, bytes], who=STUDENT) -> None:
        """Append one commit on ``main`` that writes ``files``."""
        self.tick += 60
        self.raw += b"commit refs/heads/main\n"
        self.raw += b"author %s %d +0000\ncommitter %s %d +0000\n" % (
            who,
            self.tick,
            who,
            self.tick,
        )
        self.raw += _data(subject + b"\n")
        for name, content in files.items():
            self.raw += b"M 100644 inline %s\n" % name.encode() + _data(content)
        self.raw += b"\n"

    def build(self, path: Path) -> Path:
        """Create the repository at ``path`` and check out ``main``."""
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        subprocess.run(
            ["git", "-C", str(path), "fast-import", "--quiet"],
            input=bytes(self.raw),
            check=True,
        )
        subprocess.run(
            ["git", "-C", str(path), "symbolic-ref", "HEAD", "refs/heads/main"],
            check=True,
        )
        return path


def ordinary(commits: int) -> Stream:
    """A template commit, then student commits on code, summary and junk."""
    s = Stream()
    s.commit(
        b"Initial commit",
        {f"course/file_{k}.py": b"x = %d\n" % k for k in range(30)},
        b"Course <course@example.org>",
    )
    for i in range(1, commits):
        files = {
            f"lab/module_{i % 40}.py": "".join(
                f"v_{i}_{n} = {n}\n" for n in range(i % 13 + 1)
            ).encode()
        }
        if i % 4 == 1:
            files[f"summaries/lab/part_{i % 10}.md"] = b"# Part %d\n" % i
        if i % 97 == 0:
            files[f"build/out_{i}.txt"] = b"junk\n"
        s.commit(SUBJECTS[i % len(SUBJECTS)].format(i=i).encode(), files)
    return s


def huge_subject() -> Stream:
    s = ordinary(5)
    s.commit(b"A" * (10 * 1024 * 1024), {"lab/x.py": b"x = 1\n"})
    return s


def two_huge() -> Stream:
    s = huge_subject()
    s.commit(b"B" * (10 * 1024 * 1024), {"lab/y.py": b"y = 1\n"})
    return s


def dense_log(commits: int, files: int) -> Stream:
    """``commits`` commits of ``files`` small files each (a large log)."""
    s = ordinary(1)
    for i in range(commits):
        s.commit(
            b"lab: Add batch %d" % i,
            {f"d{i % 50}/f{k}.txt": b"%d %d\n" % (i, k) for k in range(files)},
        )
    return s


def big_file() -> Stream:
    s = ordinary(3)
    s.commit(b"lab: Add raw outputs", {"outputs.txt": b"row of numbers\n" * 3_500_000})
    return s


def rewrites(count: int) -> Stream:
    """``count`` commits that each rewrite every line of a 1 MB text file."""
    s = ordinary(3)
    for i in range(count):
        body = b"".join(b"%d line %d\n" % (i, n) for n in range(80_000))[: 1 << 20]
        s.commit(b"lab: Rewrite the table %d" % i, {"table.txt": body})
    return s


def many_files(count: int) -> Stream:
    """One commit adding ``count`` small files, 500 per folder."""
    s = ordinary(3)
    files = {f"data/{k // 500:04d}/{k:07d}.txt": b"%d\n" % k for k in range(count)}
    s.commit(b"lab: Add the data set", files)
    return s


def fork(where: Path) -> Path | None:
    """A clone of the course mirror at its newest version plus 4 commits."""
    if not (MIRROR / "HEAD").exists():
        return None
    subprocess.run(["git", "clone", "-q", str(MIRROR), str(where)], check=True)
    env = ["-c", "user.name=Ada", "-c", "user.email=ada@example.org"]
    module = where / "dl_in_iot_course/l03_pruning_clustering/extra.py"
    for i in range(4):
        module.write_text("".join(f"x_{i}_{n} = {n}\n" for n in range(20 * (i + 1))))
        subprocess.run(["git", "-C", str(where), "add", "-A"], check=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(where),
                *env,
                "commit",
                "-q",
                "-m",
                f"lab: Implemented {i}",
            ],
            check=True,
        )
    return where


def _cpu() -> float:
    """CPU seconds of this process and its finished children (git)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(name: str, repo: Path | None, runs: int, cfg, points, expect: str) -> None:
    """Analyse ``repo`` ``runs`` times; print the medians and what it found.

    Wall time depends on the load of the shared machine; CPU time (the
    reader and its git calls) is what the reader costs on an idle one. The
    budget is checked on both: ``ok`` within it, ``cpu-ok`` when only the
    CPU time is (the machine was busy), ``OVER`` otherwise.
    """
    if repo is None:
        print(f"{name:48} skipped (no course mirror on this machine)")
        return
    analyze(repo, cfg, points)  # warm-up (file cache)
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = _cpu(), time.perf_counter()
        report = analyze(repo, cfg, points)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    size = len(json.dumps(report.to_dict()))
    verdict = "OVER"
    if report.status == expect and cpu <= BUDGET:
        verdict = "ok" if wall <= BUDGET else "cpu-ok"
    print(
        f"{name:48} wall {wall * 1000:7.0f} ms  cpu {cpu * 1000:6.0f} ms  "
        f"{report.status:10} score {report.score}; {report.commit_count} commits, "
        f"JSON {size / 1024:.0f} KB [{verdict}]",
        flush=True,
    )
    if report.status == "too_large":
        print(f"{'':48} {report.cannot_judge[0]}", flush=True)


def bodies(commits: int, size: int) -> Stream:
    """``commits`` commits whose messages have a body of ``size`` bytes."""
    s = ordinary(1)
    body = b"A line of explanation that goes on.\n" * (size // 36)
    for i in range(commits):
        s.commit(
            b"lab: Explain step %d\n\n" % i + body,
            {f"lab/m{i % 40}.py": b"x = %d\n" % i},
        )
    return s


def main() -> None:
    """Build each history, time the reader and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the largest cases")
    args = parser.parse_args()
    cfg, _item, points = load_config(load_rubric("l03_pruning_clustering"))
    lim = Limits.from_config(cfg)
    print(
        f"limits: {lim.max_commits:,} commits, {lim.max_log_mb:g} MB of log, "
        f"{lim.max_changes:,} file changes, {lim.max_diff_mb:g} MB to diff, "
        f"{lim.max_seconds:g} s per git call, files over {lim.diff_file_mb:g} MB not "
        f"diffed; budget {BUDGET:g} s per input",
        flush=True,
    )
    per = (lim.max_changes - 200) // (lim.max_commits - 2)
    rewritten = int(lim.max_diff_mb // 2) - 1  # each rewrite diffs 1 MB old + 1 MB new
    logged = min(5000, lim.max_commits - 2)
    body = int(lim.max_log_bytes * 0.9 / logged)
    cases: list[tuple[str, Callable[[Path], Path | None], str]] = [
        ("ordinary, 500 commits", lambda p: ordinary(500).build(p), "ok"),
        ("fork of the course + 4 student commits", fork, "ok"),
        ("10 MB subject", lambda p: huge_subject().build(p), "ok"),
        ("50 MB text file (not diffed)", lambda p: big_file().build(p), "ok"),
        ("20,000 files in one commit", lambda p: many_files(20_000).build(p), "ok"),
        (
            f"near max_diff_mb: {rewritten} rewrites of a 1 MB file",
            lambda p: rewrites(rewritten).build(p),
            "ok",
        ),
        (
            f"near max_log_mb: {logged:,} commits, {body // 1024} KB bodies",
            lambda p: bodies(logged, body).build(p),
            "ok",
        ),
        (
            f"near max_commits: {lim.max_commits:,} commits",
            lambda p: ordinary(lim.max_commits).build(p),
            "ok",
        ),
        (
            f"near max_changes: {lim.max_commits - 2:,} commits x {per} files",
            lambda p: dense_log(lim.max_commits - 2, per).build(p),
            "ok",
        ),
        (
            "over: 60,000 files in one commit",
            lambda p: many_files(60_000).build(p),
            "too_large",
        ),
        (
            "over: 100 rewrites of a 1 MB file",
            lambda p: rewrites(100).build(p),
            "too_large",
        ),
        ("over: two 10 MB subjects", lambda p: two_huge().build(p), "too_large"),
    ]
    if not args.quick:
        cases.append(
            ("over: 100,000 commits", lambda p: ordinary(100_000).build(p), "too_large")
        )
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, build, expect) in enumerate(cases):
            repo = build(Path(tmp) / f"repo-{k}")
            measure(name, repo, args.runs, cfg, points, expect)


if __name__ == "__main__":
    main()
