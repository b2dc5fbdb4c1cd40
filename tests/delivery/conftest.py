"""Fixtures of the delivery tests: a released template, a fake grader, Slurm."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAKE_GRADER = Path(__file__).with_name("fake_grade.py")


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Student",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Student",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Path:
    """The student template released from this repository (do not modify)."""
    from grading.private.packaging import release

    out = tmp_path_factory.mktemp("release") / "template"
    release(out)
    return out


@pytest.fixture
def fake_grader(monkeypatch):
    """Make batches run tests/delivery/fake_grade.py instead of the real grader."""
    command = f"{sys.executable} {FAKE_GRADER}"
    monkeypatch.setenv("GRADING_GRADE_COMMAND", command)
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SLURM_CONF = """\
ClusterName=gradetest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
AuthInfo=socket={dir}/munge.sock
CredType=cred/munge
SlurmUser={user}
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=gradenode NodeAddr=127.0.0.1 NodeHostname={host} CPUs={cpus} State=UNKNOWN
PartitionName=grade Nodes=gradenode Default=YES MaxTime=INFINITE State=UP
"""


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A one-node Slurm (munged, slurmctld, slurmd) on 127.0.0.1, or a skip.

    Needs Debian's ``slurm-wlm`` and ``munge`` and root (slurmd runs jobs as
    their user). Yields the environment to run Slurm clients with; stops every
    daemon it started at the end.
    """
    needed = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue"]
    missing = [
        name
        for name in needed
        if shutil.which(name) is None and not Path("/usr/sbin", name).exists()
    ]
    if missing:
        pytest.skip(
            f"Slurm is not installed ({', '.join(missing)} missing); "
            "apt-get install slurm-wlm munge to run this test"
        )
    if os.geteuid() != 0:
        pytest.skip(
            "the one-node Slurm fixture needs root (slurmd runs jobs as their user)"
        )
    base = tmp_path_factory.mktemp("slurm")
    os.chmod(base, 0o755)
    for sub in ("state", "spool"):
        (base / sub).mkdir()
    key = base / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = base / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=socket.gethostname(),
            ctld_port=_free_port(),
            d_port=_free_port(),
            dir=base,
            user="root",
            cpus=os.cpu_count() or 1,
        )
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    sbin = lambda name: shutil.which(name) or f"/usr/sbin/{name}"  # noqa: E731
    procs: list[subprocess.Popen] = []

    def start(args, log):
        handle = open(base / log, "wb")  # noqa: SIM115 - closed at teardown
        proc = subprocess.Popen(
            args,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        procs.append(proc)
        return proc

    def stop():
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    try:
        start(
            [
                sbin("munged"),
                "-F",
                "--force",
                f"--key-file={key}",
                f"--socket={base}/munge.sock",
                f"--pid-file={base}/munged.pid",
                f"--log-file={base}/munged.log",
                f"--seed-file={base}/munge.seed",
            ],
            "munged.out",
        )
        time.sleep(0.5)
        start([sbin("slurmctld"), "-D", "-f", str(conf)], "slurmctld.out")
        time.sleep(1.0)
        start([sbin("slurmd"), "-D", "-N", "gradenode", "-f", str(conf)], "slurmd.out")
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            dead = [p.args[0] for p in procs if p.poll() is not None]
            if dead:
                break
            out = subprocess.run(
                ["sinfo", "--noheader", "--format=%T"],
                env=env,
                capture_output=True,
                text=True,
            )
            state = out.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.5)
        if state != "idle":
            stop()
            pytest.skip(
                f"the one-node Slurm did not come up (node state {state!r}); "
                f"slurmctld: {_tail(base / 'slurmctld.log')}; "
                f"slurmd: {_tail(base / 'slurmd.log')}"
            )
    except OSError as exc:
        stop()
        pytest.skip(f"could not start Slurm: {exc}")
    yield env
    stop()
