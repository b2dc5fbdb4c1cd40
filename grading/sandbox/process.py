"""The child process: start it with its limits, wait, end its tree, capture.

:func:`run_sandboxed` runs one command under bubblewrap
(:mod:`grading.sandbox.isolation`) with

- a wall-time limit, and a CPU-time limit where asked (``RLIMIT_CPU``: a
  busy machine slows a run down but does not make it use more CPU, so the
  CPU limit does not depend on what runs beside it; the wall limit stays the
  outer guard against sleeps and hangs);
- an address-space limit and file-size, process-count and core-dump limits;
- a scrubbed environment (:func:`scrubbed_env`);
- captured output with a size cap (head and tail are kept).

The run ends with its whole process tree: bubblewrap is PID 1 of the child's
PID namespace, and when it ends the kernel ends every process in it, double
forked daemons included. Where bubblewrap cannot run, the command runs only
when the caller says ``unsafe=True``, as a plain child process in a session
of its own (:func:`_run_plain`), and the result says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.pipeline import options as _options
from grading.sandbox import isolation
from grading.sandbox.isolation import Mount, SandboxUnavailable
from grading.sandbox.limits import Limits, nproc_limit
from grading.sandbox.watch import (
    Capture,
    CpuMeter,
    close_captures,
    gone,
    signal_tree,
    wait,
)

#: Default limits of a sandboxed command (see grading.pipeline.options).
DEFAULT_MEMORY_MB = _options.DEFAULT_MEMORY_MB
DEFAULT_TIMEOUT = _options.DEFAULT_TESTS_TIMEOUT
#: Output kept per stream: the first and the last half of this many bytes.
OUTPUT_CAP_BYTES = 1024 * 1024
#: The child's HOME inside the sandbox (on its private /tmp).
SANDBOX_HOME = Path("/tmp/home")

# Environment variables copied from the grader's environment (allow-list).
_KEEP_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")
# Signatures of an allocation that hit the address-space limit.
_MEMORY_SIGNATURES = re.compile(
    r"MemoryError|std::bad_alloc|Cannot allocate memory|cannot allocate memory|"
    r"failed to allocate|ResourceExhaustedError|OOM when allocating|"
    r"out of memory",
)


@dataclass
class SandboxResult:
    """Outcome of one sandboxed command.

    Parameters
    ----------
    returncode : int
        Exit status; negative ``-N`` when killed by signal ``N``.
    stdout, stderr : str
        Captured output, decoded as UTF-8 with replacement; when a stream went
        over :data:`OUTPUT_CAP_BYTES` the middle is replaced by a marker line.
    timed_out : bool
        A time limit (wall or CPU) was reached and the run was ended.
    seconds : float
        Wall time from start to the end of the process tree.
    cpu_seconds : float
        CPU time (user and system) of the child and its waited-for
        descendants.
    killed : str
        Why the run was ended: ``"timeout"`` (wall limit), ``"cpu"`` (CPU
        limit), or ``""``.
    memory_exceeded : bool
        The child hit the memory limit (judged from its death and output).
    user : str
        The user the child ran as outside its namespaces.
    max_rss_mb : float
        Peak resident memory of the child and its waited-for descendants.
    stdout_truncated, stderr_truncated : bool
        The stream went over the cap and its middle was dropped.
    isolation : str
        ``"bubblewrap"``, or ``"none"`` (allowed with ``unsafe=True`` where
        bubblewrap cannot run).
    network : str
        ``"isolated"`` (own network namespace), ``"allowed"`` (asked for) or
        ``"host"`` (no sandbox).
    filesystem : str
        ``"private"`` (only the runtime and the mounts) or ``"host"``.
    notes : list of str
        What the sandbox could not do as asked.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    killed: str = ""
    memory_exceeded: bool = False
    user: str = ""
    max_rss_mb: float = 0.0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    isolation: str = ""
    network: str = ""
    filesystem: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the command exited 0 on its own."""
        return self.returncode == 0 and not self.killed


def scrubbed_env(
    home: Path,
    extra_env: dict[str, str] | None = None,
    pythonpath: list[Path] | None = None,
) -> dict[str, str]:
    """Return the environment of a sandboxed child.

    Built from an allow-list: only locale and terminal variables are copied
    from the grader; ``PATH`` is the interpreter's folder plus the system
    folders; ``HOME``, ``TMPDIR`` and the cache folders point into ``home``.
    Secrets (tokens, ``GITHUB_*``, ``AWS_*``, SSH agents) never pass.

    Parameters
    ----------
    home : Path
        Fresh folder used as ``HOME`` and, below it, ``TMPDIR``.
    extra_env : dict, optional
        Variables set by the grader on top (trusted).
    pythonpath : list of Path, optional
        Folders put into ``PYTHONPATH``.
    """
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    bindir = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
            "KERAS_HOME": str(home / ".keras"),
            "TF_USE_LEGACY_KERAS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "MPLBACKEND": "Agg",
            "MALLOC_ARENA_MAX": "2",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
    )
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    if extra_env:
        env.update({str(k): str(v) for k, v in extra_env.items()})
    return env


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


def _start(argv, cwd, env, preexec, pass_fds=()) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        pass_fds=pass_fds,
        preexec_fn=preexec,
    )


def _read_info(fd: int, found: dict) -> None:
    """Read bubblewrap's ``--info-fd`` JSON (the child's host pid) as it comes."""
    data = b""
    try:
        while len(data) < 65536:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
            try:
                found.update(json.loads(data.decode("utf-8", "replace")))
                break
            except ValueError:
                continue
    except OSError:
        pass
    finally:
        os.close(fd)


def _run_bwrap(argv, cwd: Path, env, limits: Limits, mounts, timeout, cap, network):
    """Run ``argv`` under bubblewrap; return (ended, stdout, stderr, notes)."""
    bwrap = isolation.status().path
    run_plan = isolation.plan([Mount(cwd, writable=True), *mounts])
    read_end, write_end = os.pipe()
    wrapper = isolation.bwrap_argv(
        bwrap,
        run_plan,
        str(cwd),
        network=network,
        info_fd=write_end,
        dirs=(str(SANDBOX_HOME), str(SANDBOX_HOME / "tmp")),
    )

    def preexec() -> None:
        isolation.staged(run_plan.stage)
        limits.apply()
        isolation.drop_privileges()

    try:
        proc = _start([*wrapper, *argv], "/", env, preexec, (write_end,))
    except subprocess.SubprocessError as exc:
        os.close(read_end)
        run_plan.cleanup()
        raise OSError(f"the sandbox could not be set up: {exc}") from exc
    except BaseException:
        os.close(read_end)
        run_plan.cleanup()
        raise
    finally:
        os.close(write_end)
    info: dict = {}
    reader = threading.Thread(target=_read_info, args=(read_end, info), daemon=True)
    reader.start()
    out, err = Capture(proc.stdout, cap), Capture(proc.stderr, cap)
    out.start()
    err.start()

    def stop(proc: subprocess.Popen, first: bool) -> None:
        # bubblewrap is PID 1 of the child's namespace: ending it ends all.
        try:
            proc.kill()
        except OSError:
            pass

    meter = CpuMeter()
    ended = wait(proc, timeout, stop, lambda: meter.sample(info.get("child-pid")))
    reader.join(timeout=1.0)
    notes = []
    child = info.get("child-pid")
    if isinstance(child, int) and not gone(child, None):
        notes.append(f"the sandbox's PID 1 ({child}) outlived bubblewrap; killed")
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass
    close_captures(proc, [out, err])
    run_plan.cleanup()
    if ended.returncode > 128 and ended.returncode - 128 < signal.NSIG:
        ended.returncode = -(ended.returncode - 128)  # bubblewrap's 128 + N
    ended.cpu = meter.total
    return ended, out.text(), err.text(), notes


def _run_plain(argv, cwd: Path, env, limits: Limits, timeout, cap):
    """Run ``argv`` without a sandbox (``unsafe=True`` only)."""
    proc = _start(argv, str(cwd), env, limits.apply)
    out, err = Capture(proc.stdout, cap), Capture(proc.stderr, cap)
    out.start()
    err.start()
    known: dict[int, float] = {}

    def stop(proc: subprocess.Popen, first: bool) -> None:
        sig = signal.SIGTERM if first else signal.SIGKILL
        signal_tree(proc.pid, known, sig, group=True)

    ended = wait(proc, timeout, stop)
    # Whatever the child left behind (sleepers in its group) goes too.
    signal_tree(proc.pid, known, signal.SIGKILL, group=False)
    close_captures(proc, [out, err])
    return ended, out.text(), err.text()


def run_sandboxed(
    argv: list[str],
    cwd: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cpu_seconds: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    extra_env: dict[str, str] | None = None,
    pythonpath: list[Path] | None = None,
    output_cap: int = OUTPUT_CAP_BYTES,
    network: bool = False,
    mounts: list[Mount] | tuple[Mount, ...] = (),
    unsafe: bool = False,
) -> SandboxResult:
    """Run ``argv`` in a sandboxed child process and wait for it.

    Parameters
    ----------
    argv : list of str
        Command; use ``sys.executable`` for Python (see
        :func:`grading.sandbox.pytest_argv`).
    cwd : Path
        Working folder of the child, normally the working copy; the child
        sees it read-write at the same path (when the grader runs as root it
        is handed to the sandbox user first).
    timeout : float
        Wall-time limit in seconds; the run and its whole process tree end
        there, and the call returns a second or two later at most.
    cpu_seconds : float, optional
        CPU-time limit of each process of the run (``RLIMIT_CPU``): SIGXCPU
        at the limit, SIGKILL :data:`CPU_GRACE` seconds of CPU later.
    memory_mb : int
        Address-space limit (RLIMIT_AS) in MiB; ``0`` for none.
    extra_env : dict, optional
        Extra environment variables on top of :func:`scrubbed_env`.
    pythonpath : list of Path, optional
        Folders for ``PYTHONPATH``; mount them too (``mounts``).
    output_cap : int, optional
        Bytes kept per stream (head and tail).
    network : bool, optional
        Allow network access (the child shares the host's network
        namespace); isolated by default.
    mounts : list of Mount, optional
        What else the child sees (read-only unless ``writable``): the hidden
        tests, an artifacts folder. Nothing else of the host is there but the
        runtime (:func:`grading.sandbox.isolation.runtime_mounts`).
    unsafe : bool, optional
        Where bubblewrap cannot run, run the command anyway, without a
        sandbox (the grader's user, the host's file system and network); the
        result says so. Without it, such a call raises.

    Returns
    -------
    SandboxResult
        Never raises because of the child's behaviour.

    Raises
    ------
    SandboxUnavailable
        bubblewrap cannot run here and ``unsafe`` is not set.
    OSError
        The command cannot be started at all.
    """
    cwd = Path(cwd).resolve()
    state = isolation.status()
    if not state.available and not unsafe:
        raise SandboxUnavailable(
            f"{state.reason}. The grader does not run untrusted code without "
            "its sandbox; install bubblewrap (see docs/threat-model.md for "
            "containers), or pass --unsafe-no-sandbox to grade anyway "
            "without isolation."
        )
    ids = isolation.child_ids() if state.available else None
    cpu = int(cpu_seconds) if cpu_seconds else None
    limits = Limits(int(memory_mb or 0), nproc_limit(ids), cpu)
    start = time.monotonic()
    if state.available:
        env = scrubbed_env(SANDBOX_HOME, extra_env, pythonpath)
        ended, out, err, notes = _run_bwrap(
            argv, cwd, env, limits, list(mounts), timeout, output_cap, network
        )
    else:
        home = Path(tempfile.mkdtemp(prefix="grading-home-"))
        try:
            (home / "tmp").mkdir()
            env = scrubbed_env(home, extra_env, pythonpath)
            ended, out, err = _run_plain(argv, cwd, env, limits, timeout, output_cap)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        notes = [f"no sandbox (--unsafe-no-sandbox): {state.reason}"]
    return _result(
        ended, out, err, start, memory_mb, cpu_seconds, state, ids, network, notes
    )


def _result(ended, out, err, start, memory_mb, cpu_seconds, state, ids, network, notes):
    stdout, out_cut = out
    stderr, err_cut = err
    rusage = ended.rusage
    cpu = ended.cpu
    if cpu is None:
        cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
    killed = ended.killed
    if not killed and cpu_seconds:
        # SIGXCPU at the limit; SIGKILL when it was ignored for CPU_GRACE s.
        if ended.returncode == -signal.SIGXCPU or (
            ended.returncode == -signal.SIGKILL and cpu >= 0.9 * float(cpu_seconds)
        ):
            killed = "cpu"
    memory_exceeded = bool(
        memory_mb
        and not killed
        and ended.returncode != 0
        and _MEMORY_SIGNATURES.search(stderr[-20000:])
    )
    sandboxed = state.available
    return SandboxResult(
        returncode=ended.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=bool(killed),
        seconds=round(time.monotonic() - start, 3),
        cpu_seconds=round(cpu, 3),
        killed=killed,
        memory_exceeded=memory_exceeded,
        user=_user_name(ids),
        max_rss_mb=round((rusage.ru_maxrss / 1024) if rusage else 0.0, 1),
        stdout_truncated=out_cut,
        stderr_truncated=err_cut,
        isolation="bubblewrap" if sandboxed else "none",
        network=("allowed" if network else "isolated") if sandboxed else "host",
        filesystem="private" if sandboxed else "host",
        notes=notes,
    )


def _user_name(ids: tuple[int, int] | None) -> str:
    if ids is not None:
        return isolation.SANDBOX_USER
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.geteuid())


def describe(result: SandboxResult) -> dict[str, Any]:
    """Return the JSON-friendly summary of a result (no output text)."""
    return {
        "returncode": result.returncode,
        "timed_out": result.timed_out,
        "seconds": result.seconds,
        "cpu_seconds": result.cpu_seconds,
        "killed": result.killed,
        "memory_exceeded": result.memory_exceeded,
        "user": result.user,
        "max_rss_mb": result.max_rss_mb,
        "isolation": result.isolation,
        "network": result.network,
        "filesystem": result.filesystem,
        "notes": list(result.notes),
    }
