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
from delivery_helpers import FAKE_GRADER, REPO, git  # noqa: F401


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Path:
    """The student template released from this repository (do not modify)."""
    from grading.private.packaging import release

    out = tmp_path_factory.mktemp("release") / "template"
    release(out)
    return out


@pytest.fixture(scope="session")
def grader_bundle(tmp_path_factory) -> Path:
    """The grader bundle released from this repository (do not modify)."""
    from grading.private.packaging import release_bundle

    out = tmp_path_factory.mktemp("release") / "grader-bundle"
    release_bundle(out)
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


class _Daemons:
    """The Slurm daemons the fixture starts, each logging to its own file."""

    def __init__(self, base: Path, env: dict[str, str]):
        self.base, self.env = base, env
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], log: str) -> None:
        handle = open(self.base / log, "wb")  # noqa: SIM115 - closed at teardown
        self.procs.append(
            subprocess.Popen(
                args,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def wait_until_idle(self, seconds: float = 30) -> str:
        """Return the node state once it is idle, a daemon died, or time is up."""
        deadline = time.monotonic() + seconds
        state = ""
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                break
            out = subprocess.run(
                ["sinfo", "--noheader", "--format=%T"],
                env=self.env,
                capture_output=True,
                text=True,
            )
            state = out.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.5)
        return state


def _slurm_folder(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A folder with state, spool, a munge key and slurm.conf; return them."""
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
    return base, key, conf


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory, unavailable):
    """A one-node Slurm (munged, slurmctld, slurmd) on 127.0.0.1.

    Needs Debian's ``slurm-wlm`` and ``munge`` and root (slurmd runs jobs as
    their user); without them the test is skipped, or fails in CI
    (``unavailable`` of tests/conftest.py). Yields the environment to run
    Slurm clients with; stops every daemon it started at the end.
    """
    needed = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue"]
    missing = [
        name
        for name in needed
        if shutil.which(name) is None and not Path("/usr/sbin", name).exists()
    ]
    if missing:
        unavailable(
            f"Slurm is not installed ({', '.join(missing)} missing); "
            "apt-get install slurm-wlm munge to run this test"
        )
    if os.geteuid() != 0:
        unavailable(
            "the one-node Slurm fixture needs root (slurmd runs jobs as their user)"
        )
    base, key, conf = _slurm_folder(tmp_path_factory)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    sbin = lambda name: shutil.which(name) or f"/usr/sbin/{name}"  # noqa: E731
    daemons = _Daemons(base, env)
    try:
        munged = [
            sbin("munged"),
            "-F",
            "--force",
            f"--key-file={key}",
            f"--socket={base}/munge.sock",
            f"--pid-file={base}/munged.pid",
            f"--log-file={base}/munged.log",
            f"--seed-file={base}/munge.seed",
        ]
        daemons.start(munged, "munged.out")
        time.sleep(0.5)
        daemons.start([sbin("slurmctld"), "-D", "-f", str(conf)], "slurmctld.out")
        time.sleep(1.0)
        daemons.start(
            [sbin("slurmd"), "-D", "-N", "gradenode", "-f", str(conf)], "slurmd.out"
        )
        state = daemons.wait_until_idle()
        if state != "idle":
            daemons.stop()
            unavailable(
                f"the one-node Slurm did not come up (node state {state!r}); "
                f"slurmctld: {_tail(base / 'slurmctld.log')}; "
                f"slurmd: {_tail(base / 'slurmd.log')}"
            )
    except OSError as exc:
        daemons.stop()
        unavailable(f"could not start Slurm: {exc}")
    yield env
    daemons.stop()
