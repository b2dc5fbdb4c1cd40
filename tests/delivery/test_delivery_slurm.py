"""Slurm executor: job script, and a real one-node Slurm run (or a skip)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from delivery_helpers import FAKE_GRADER, REPO
from test_delivery_batch import make_repo

from grading.private.cohort import slurm


def test_job_script_runs_each_task_in_the_singularity_image(tmp_path):
    script = slurm.job_script(
        tmp_path / "out",
        3,
        lab="l03_pruning_clustering",
        timeout=600,
        image="/images/grader.sif",
        max_parallel=2,
        partition="short",
        memory_mb=8192,
        binds=["/data/clones"],
    )
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert "#SBATCH --array=0-2%2" in lines
    # 10 min for the grading, 20 for the regrade of a timeout, and a margin.
    assert "#SBATCH --time=35" in lines
    assert "#SBATCH --partition=short" in lines and "#SBATCH --mem=8192M" in lines
    run = shlex.split(lines[-1].replace('"$SLURM_ARRAY_TASK_ID"', "7"))
    assert run[:3] == ["exec", "singularity", "exec"]
    assert (
        run[run.index("--bind") + 1] == f"{(tmp_path / 'out').resolve()},/data/clones"
    )
    tail = run[run.index("/images/grader.sif") + 1 :]
    assert tail[:4] == ["python", "-m", "grading", "batch"]
    assert tail[tail.index("--task-index") + 1] == "7"


@pytest.mark.slow
def test_slurm_job_array_then_collect(tmp_path, slurm_cluster, monkeypatch):
    for key, value in slurm_cluster.items():
        monkeypatch.setenv(key, value)
    # Each task runs the fake grader (the real one is exercised elsewhere).
    monkeypatch.setenv("GRADING_GRADE_COMMAND", f"{sys.executable} {FAKE_GRADER}")
    make_repo(tmp_path / "repos" / "alice", [("2026-01-01", "a"), ("2026-01-03", "b")])
    make_repo(tmp_path / "repos" / "bob", [("2026-01-01", "b")])
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,repository,deadline\n"
        "alice,repos/alice,2026-01-02T00:00:00Z\n"
        "bob,repos/bob,\n"
        "boom,repos/bob,\n"
        "ghost,repos/nobody,\n"
        "lateonce,repos/bob,\n"
        "-2+3,repos/bob,\n"
    )
    out = tmp_path / "grades"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grading",
            "batch",
            str(roster),
            "--out",
            str(out),
            "--executor",
            "slurm",
            "--wait",
            "--timeout",
            "60",
            "--memory-mb=2048",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "submitted Slurm job array" in proc.stderr, proc.stderr
    # boom and ghost failed, -2+3 is not graded: the exit status counts them.
    assert proc.returncode == 3, proc.stderr
    assert "the id '-2+3' is not usable" in proc.stderr
    job = json.loads((out / "slurm" / "job.json").read_text())
    assert job["tasks"] == 5
    logs = sorted(p.name for p in (out / "slurm" / "logs").iterdir())
    assert logs == [f"{job['job_id']}_{i}.log" for i in range(5)]
    alice = json.loads((out / "alice" / "results.json").read_text())
    assert alice["files"] == [".git", "work.txt"]
    assert "--memory-mb=2048" in alice["argv"]  # grade's options reach the task
    # A task that timed out graded it again at once, with doubled limits.
    late = json.loads((out / "lateonce" / "results.json").read_text())
    assert late["status"] == "graded" and "--test-timeout" in late["argv"]
    assert (
        json.loads((out / "lateonce" / "submission.json").read_text())["attempt"] == 2
    )
    first = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"],
        cwd=tmp_path / "repos" / "alice",
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert alice["head"] == first  # the deadline picked the first commit
    assert (out / "bob" / "results.json").is_file()
    assert json.loads((out / "boom" / "status.json").read_text())["status"] == "error"
    ghost = json.loads((out / "ghost" / "status.json").read_text())
    assert "does not exist" in ghost["message"]
    gradebook = (out / "gradebook.csv").read_text()
    assert all(name in gradebook for name in ("alice", "bob", "boom", "ghost"))
    assert "'-2+3," in gradebook and "not_graded" in gradebook
    # --wait ends with the similarity step, as a local batch does
    assert "similarity: 0 flagged pair(s)" in proc.stderr, proc.stderr
    assert (out / "similarity.json").is_file()
    (out / "similarity.json").unlink()

    # A task that left nothing (lost node) is recorded by collect.
    import shutil

    shutil.rmtree(out / "bob")
    done = subprocess.run(
        [sys.executable, "-m", "grading", "collect", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4  # boom, ghost, bob and -2+3 have no grade
    assert "graded 2, failed 2, no result 1, still running 0, not graded 1" in (
        done.stderr
    )
    bob = json.loads((out / "bob" / "status.json").read_text())
    assert bob["status"] == "error" and "Slurm task 1 left no result" in bob["message"]
    assert Path(done.stdout.split("Gradebook: ")[1].split()[0]).is_file()
    # ... and ends with the similarity step, as a local batch does
    assert "similarity: 0 flagged pair(s)" in done.stderr, done.stderr
    assert (out / "similarity.json").is_file()
