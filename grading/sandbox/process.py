"""The child process: start it with its limits, wait, kill its tree, capture.

:func:`run_sandboxed` runs one command in a child with its own session and
process group, a wall-time limit that kills the whole process tree, an
address-space limit and file-size, process-count and core-dump limits, a
scrubbed environment (:func:`scrubbed_env`) and captured output with a size
cap (head and tail are kept).
"""

from __future__ import annotations

import os
import re
import resource
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
from grading.sandbox.isolation import (
    _GRANTED,
    _child_user,
    _isolate_filesystem,
    _readonly_plan,
    _scope_to_own_processes,
    _unshare_net,
    filesystem_isolation_available,
    network_isolation_available,
)

#: Default limits of a sandboxed command (see grading.pipeline.options).
DEFAULT_MEMORY_MB = _options.DEFAULT_MEMORY_MB
DEFAULT_TIMEOUT = _options.DEFAULT_TESTS_TIMEOUT
#: Largest file the child may write (RLIMIT_FSIZE), in bytes.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Output kept per stream: the first and the last half of this many bytes.
OUTPUT_CAP_BYTES = 1024 * 1024
#: Seconds between SIGTERM and SIGKILL when a child is stopped.
KILL_GRACE = 2.0

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
        The wall-time limit was reached and the process tree was killed.
    seconds : float
        Wall time from start to the end of the process tree.
    killed : str
        Why the grader killed the child (``"timeout"``), or ``""``.
    memory_exceeded : bool
        The child hit the memory limit (judged from its death and output).
    user : str
        Name of the user the child ran as.
    max_rss_mb : float
        Peak resident memory of the child and its waited-for descendants.
    stdout_truncated, stderr_truncated : bool
        The stream went over the cap and its middle was dropped.
    network : str
        ``"isolated"`` (own network namespace), ``"allowed"`` (asked for) or
        ``"host"`` (isolation was not possible).
    filesystem : str
        ``"read-only"`` (everything but the writable folders) or ``"host"``.
    notes : list of str
        What the sandbox could not do as asked (for example no user switch).
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    seconds: float = 0.0
    killed: str = ""
    memory_exceeded: bool = False
    user: str = ""
    max_rss_mb: float = 0.0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
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


class _Capture(threading.Thread):
    """Drain a pipe, keeping the first and the last ``cap / 2`` bytes."""

    def __init__(self, stream, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.half = max(1, cap // 2)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def run(self) -> None:
        try:
            while True:
                chunk = (
                    self.stream.read1(65536)
                    if hasattr(self.stream, "read1")
                    else self.stream.read(65536)
                )
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.half - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail += chunk
                    if len(self.tail) > self.half:
                        del self.tail[: len(self.tail) - self.half]
        except (OSError, ValueError):
            pass

    def text(self) -> tuple[str, bool]:
        truncated = self.total > len(self.head) + len(self.tail)
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if truncated:
            dropped = self.total - len(self.head) - len(self.tail)
            return f"{head}\n[... {dropped} bytes of output left out ...]\n{tail}", True
        return head + tail, False


def _preexec(
    memory_mb: int,
    ids: tuple[int, int] | None,
    nproc: int,
    isolate_net: bool = False,
    isolate_fs: tuple[list[bytes], list[tuple[bytes, int]]] | None = None,
):
    """Build the function run in the child between fork and exec."""

    def apply() -> None:
        # start_new_session=True already made the child a session leader.
        if isolate_net:
            _unshare_net()  # before dropping privileges: needs CAP_SYS_ADMIN
        if isolate_fs is not None:
            _isolate_filesystem(*isolate_fs)
        if memory_mb and memory_mb > 0:
            limit = int(memory_mb) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        if nproc > 0:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            except (ValueError, OSError):
                pass
        if ids is not None:
            uid, gid = ids
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        os.umask(0o022)
        _scope_to_own_processes()

    return apply


def _nproc_limit(ids: tuple[int, int] | None) -> int:
    """Process/thread limit for the child.

    RLIMIT_NPROC counts every thread of every process of the child's real
    user, not just the child's: other gradings running at the same time as
    the same user (``nobody``) and TensorFlow's thread pools count too. The
    limit is therefore what that user runs now plus 4096 for this child, so
    a fork bomb is stopped without starving concurrent runs.
    """
    uid = ids[0] if ids is not None else os.getuid()
    if ids is None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
        if soft != resource.RLIM_INFINITY:
            return 0  # keep the limit the grader already has
    try:
        import psutil

        running = 0
        for process in psutil.process_iter():
            try:
                if process.uids().real == uid:
                    running += process.num_threads()
            except psutil.Error:
                continue
    except Exception:  # noqa: BLE001 - psutil races with exiting processes
        return 4096 if ids is not None else 0
    return running + 4096


def _descendants(pid: int, known: dict[int, float]) -> None:
    """Add the live descendants of ``pid`` to ``known`` (pid -> start time)."""
    try:
        import psutil

        for child in psutil.Process(pid).children(recursive=True):
            try:
                known.setdefault(child.pid, child.create_time())
            except psutil.Error:
                pass
    except Exception:  # noqa: BLE001 - the tree changes while we look
        pass


def _marked(marker: str) -> dict[int, float]:
    """Processes whose environment carries the sandbox ``marker``."""
    found: dict[int, float] = {}
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a pinned requirement
        return found
    me = os.getpid()
    for process in psutil.process_iter():
        try:
            if process.pid == me:
                continue
            if process.environ().get("GRADING_SANDBOX") == marker:
                found[process.pid] = process.create_time()
        except Exception:  # noqa: BLE001 - gone, or not ours to read
            continue
    return found


def _kill_tree(
    pid: int, known: dict[int, float], sig: int, marker: str, group: bool
) -> None:
    """Send ``sig`` to the child's tree.

    Targets: the process group ``pid`` (only while the child is not reaped,
    so the number cannot have been reused), every descendant seen so far
    (checked by start time, so a reused pid is never hit), and every process
    that still carries the sandbox marker in its environment (detached
    daemons).
    """
    if group:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    if group:
        _descendants(pid, known)
    known.update(_marked(marker))
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return
    for child, started in list(known.items()):
        try:
            process = psutil.Process(child)
            if abs(process.create_time() - started) < 0.01:
                process.send_signal(sig)
        except psutil.Error:
            known.pop(child, None)


def _popen(argv, cwd, env, memory_mb, ids, isolate_net, isolate_fs):
    """Start the child with its limits (see :func:`run_sandboxed`)."""
    return subprocess.Popen(
        argv,
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        preexec_fn=_preexec(memory_mb, ids, _nproc_limit(ids), isolate_net, isolate_fs),
    )


def run_sandboxed(
    argv: list[str],
    cwd: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    extra_env: dict[str, str] | None = None,
    pythonpath: list[Path] | None = None,
    output_cap: int = OUTPUT_CAP_BYTES,
    network: bool = False,
    writable: list[Path] | None = None,
) -> SandboxResult:
    """Run ``argv`` in a sandboxed child process and wait for it.

    Parameters
    ----------
    argv : list of str
        Command; use ``sys.executable`` for Python (see :func:`pytest_argv`).
    cwd : Path
        Working folder of the child, normally the working copy.
    timeout : float
        Wall-time limit in seconds. At the limit the whole process tree gets
        SIGTERM, then SIGKILL :data:`KILL_GRACE` seconds later; the call
        returns at most about ``timeout + KILL_GRACE + 1`` seconds after start.
    memory_mb : int
        Address-space limit (RLIMIT_AS) in MiB; ``0`` for none.
    extra_env : dict, optional
        Extra environment variables on top of :func:`scrubbed_env`.
    pythonpath : list of Path, optional
        Folders for ``PYTHONPATH`` (ignored by ``python -E``/``-I`` children;
        in a :func:`pytest_argv` child they come first on ``sys.path``).
    output_cap : int, optional
        Bytes kept per stream (head and tail).
    network : bool, optional
        Allow network access. By default the child gets a network namespace
        of its own with no interface but a loopback that is down (when the
        grader may create one; otherwise ``notes`` says the network was not
        isolated).
    writable : list of Path, optional
        Folders the child may write in. When the grader may create mount
        namespaces (root), the child sees every other mount read-only (except
        ``/proc``, ``/sys`` and ``/dev``). Default: ``cwd``, the child's
        ``HOME`` and every existing folder given to :func:`grant_access`.

    Returns
    -------
    SandboxResult
        Never raises because of the child's behaviour; raises ``OSError`` only
        when the command cannot be started at all (missing executable).
    """
    cwd = Path(cwd)
    ids, user, notes = _child_user(cwd, argv)
    home = Path(tempfile.mkdtemp(prefix="grading-home-"))
    (home / "tmp").mkdir()
    if ids is not None:
        os.chmod(home, 0o755)
        for sub in (home, home / "tmp"):
            os.chown(sub, *ids)
    env = scrubbed_env(home, extra_env, pythonpath)
    # Every process of this run inherits the marker, even detached daemons.
    marker = home.name
    env["GRADING_SANDBOX"] = marker
    isolate_net = not network and network_isolation_available()
    if not network and not isolate_net:
        notes.append(
            "network not isolated: this grader may not create network "
            "namespaces (run it as root or in the grading container)"
        )
    isolate_fs = None
    if filesystem_isolation_available():
        folders = [cwd, home] + (
            list(writable) if writable is not None else [Path(p) for p in _GRANTED]
        )
        real = sorted({os.path.realpath(f) for f in folders if Path(f).is_dir()})
        isolate_fs = ([os.fsencode(f) for f in real], _readonly_plan())
    else:
        notes.append(
            "file system not made read-only: this grader may not create "
            "mount namespaces (run it as root or in the grading container)"
        )
    start = time.monotonic()
    try:
        proc = _popen(argv, cwd, env, memory_mb, ids, isolate_net, isolate_fs)
    except subprocess.SubprocessError as exc:
        if isolate_fs is None:
            shutil.rmtree(home, ignore_errors=True)
            raise
        # The mount namespace could not be set up here: run without it.
        isolation._FS_ISOLATION_BROKEN = True
        isolate_fs = None
        notes.append(f"file system not made read-only: {exc}")
        proc = _popen(argv, cwd, env, memory_mb, ids, isolate_net, isolate_fs)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    out = _Capture(proc.stdout, output_cap)
    err = _Capture(proc.stderr, output_cap)
    out.start()
    err.start()
    known: dict[int, float] = {}
    killed = ""
    status = None
    rusage = None
    deadline = start + max(0.0, float(timeout))
    term_sent_at: float | None = None
    last_scan = 0.0
    while status is None:
        try:
            pid, status_raw, rusage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status_raw = proc.pid, 0
        if pid == proc.pid:
            status = status_raw
            break
        now = time.monotonic()
        if now - last_scan > 0.25:
            last_scan = now
            _descendants(proc.pid, known)
        if now >= deadline and term_sent_at is None:
            killed = "timeout"
            term_sent_at = now
            _kill_tree(proc.pid, known, signal.SIGTERM, marker, group=True)
        elif term_sent_at is not None and now - term_sent_at >= KILL_GRACE:
            _kill_tree(proc.pid, known, signal.SIGKILL, marker, group=True)
            term_sent_at = float("inf")  # SIGKILL sent; only wait now
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
    # Whatever the child left behind (daemons, sleepers) goes too.
    _kill_tree(proc.pid, known, signal.SIGKILL, marker, group=False)
    join_until = time.monotonic() + 1.5
    for capture in (out, err):
        capture.join(timeout=max(0.0, join_until - time.monotonic()))
    for stream in (proc.stdout, proc.stderr):
        try:
            stream.close()
        except OSError:
            pass
    seconds = time.monotonic() - start
    stdout, out_cut = out.text()
    stderr, err_cut = err.text()
    shutil.rmtree(home, ignore_errors=True)
    memory_exceeded = bool(
        memory_mb
        and not killed
        and proc.returncode != 0
        and _MEMORY_SIGNATURES.search(stderr[-20000:])
    )
    return SandboxResult(
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=killed == "timeout",
        seconds=round(seconds, 3),
        killed=killed,
        memory_exceeded=memory_exceeded,
        user=user,
        max_rss_mb=round((rusage.ru_maxrss / 1024) if rusage else 0.0, 1),
        stdout_truncated=out_cut,
        stderr_truncated=err_cut,
        filesystem="read-only" if isolate_fs is not None else "host",
        network="isolated" if isolate_net else ("allowed" if network else "host"),
        notes=notes,
    )


def describe(result: SandboxResult) -> dict[str, Any]:
    """Return the JSON-friendly summary of a result (no output text)."""
    return {
        "returncode": result.returncode,
        "timed_out": result.timed_out,
        "seconds": result.seconds,
        "killed": result.killed,
        "memory_exceeded": result.memory_exceeded,
        "user": result.user,
        "max_rss_mb": result.max_rss_mb,
        "network": result.network,
        "filesystem": result.filesystem,
        "notes": list(result.notes),
    }
