"""Run untrusted student code: working copy, child process, limits, clean env.

The grader never imports student code. Everything a submission provides runs
in a child process started by :func:`run_sandboxed`, which gives it

- a working copy of the submission (:func:`make_working_copy`), with the files
  the student must not change restored from the instructor's copy
  (:func:`restore_protected`);
- its own session and process group, a wall-time limit that kills the whole
  process tree, an address-space limit and file-size, process-count and
  core-dump limits;
- a scrubbed environment built from an allow-list (no tokens, no cloud
  credentials, no ``GITHUB_*``), a fresh ``HOME`` and ``TMPDIR``;
- an unprivileged user (``nobody``) when the grader runs as root and that user
  can reach the interpreter and the working copy;
- captured output with a size cap (head and tail are kept).

:func:`pytest_argv` builds the command that runs pytest there so that the
submission's own pytest configuration, ``conftest.py``, ``sitecustomize.py``,
``usercustomize.py`` and ``.pth`` files have no effect. The guarantees and their
limits are written down in ``docs/grading.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.pipeline import options as _options
from grading.pipeline.findings import Finding

#: Default limits of a sandboxed command (see grading.pipeline.options).
DEFAULT_MEMORY_MB = _options.DEFAULT_MEMORY_MB
DEFAULT_TIMEOUT = _options.DEFAULT_TESTS_TIMEOUT
#: Largest file the child may write (RLIMIT_FSIZE), in bytes.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Output kept per stream: the first and the last half of this many bytes.
OUTPUT_CAP_BYTES = 1024 * 1024
#: Files larger than this are not copied into the working copy.
MAX_COPY_FILE_BYTES = 50 * 1024 * 1024
#: Directory names never copied into the working copy.
SKIP_DIRS = frozenset(
    {
        ".git",
        "build",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "node_modules",
    }
)
#: Seconds between SIGTERM and SIGKILL when a child is stopped.
KILL_GRACE = 2.0
#: User the child runs as when the grader runs as root.
SANDBOX_USER = "nobody"

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


# --------------------------------------------------------------------------
# Working copy
# --------------------------------------------------------------------------


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def make_working_copy(
    submission: Path, dest: Path, *, max_file_bytes: int = MAX_COPY_FILE_BYTES
) -> list[Finding]:
    """Copy a submission into ``dest`` for running its code.

    Skips ``.git``, ``build/``, virtual environments and caches
    (:data:`SKIP_DIRS`) and files over ``max_file_bytes``. Symbolic links are
    never followed out of the submission: a link to a file inside it is copied
    as a regular file, anything else is dropped with a finding. Unreadable
    files and special files (sockets, FIFOs, devices) are dropped with a
    finding; nothing here raises because of the submission's content. When the
    grader runs as root, the copy is handed to :data:`SANDBOX_USER` so the
    child can write in it.

    Parameters
    ----------
    submission : Path
        The student's repository (read only).
    dest : Path
        Target folder; created, must not exist or be empty.
    max_file_bytes : int, optional
        Larger files are left out (trained models, datasets).

    Returns
    -------
    list of Finding
        One per skipped entry (``item=""``, informational, instructor view
        for the details).
    """
    submission = Path(submission).resolve()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    findings: list[Finding] = []

    def note(code: str, rel: str, message: str, audience: str = "instructor") -> None:
        findings.append(
            Finding(
                check="sandbox.working_copy",
                item="",
                passed=None,
                message=message,
                evidence=rel,
                code=code,
                audience=audience,  # type: ignore[arg-type]
            )
        )

    skipped_large: list[str] = []
    for root, dirs, files in os.walk(
        submission,
        topdown=True,
        followlinks=False,
        onerror=lambda exc: note(
            "unreadable",
            _rel(Path(exc.filename or ""), submission),
            f"Could not read a folder of the submission: {exc.strerror}.",
        ),
    ):
        root_path = Path(root)
        rel_root = root_path.relative_to(submission)
        kept_dirs = []
        for name in sorted(dirs):
            src = root_path / name
            rel = (rel_root / name).as_posix()
            if name in SKIP_DIRS:
                continue
            if src.is_symlink():
                _copy_link(src, dest / rel, submission, rel, note)
                continue
            (dest / rel).mkdir(exist_ok=True)
            kept_dirs.append(name)
        dirs[:] = kept_dirs
        for name in sorted(files):
            src = root_path / name
            rel = (rel_root / name).as_posix()
            target = dest / rel
            if src.is_symlink():
                _copy_link(src, target, submission, rel, note)
                continue
            try:
                info = src.lstat()
            except OSError as exc:
                note("unreadable", rel, f"Could not read {rel}: {exc.strerror}.")
                continue
            if not stat.S_ISREG(info.st_mode):
                note("special_file", rel, f"{rel} is not a regular file; left out.")
                continue
            if info.st_size > max_file_bytes:
                skipped_large.append(f"{rel} ({info.st_size / 1e6:.1f} MB)")
                continue
            try:
                shutil.copyfile(src, target, follow_symlinks=False)
            except OSError as exc:
                note("unreadable", rel, f"Could not copy {rel}: {exc.strerror}.")
    if skipped_large:
        note(
            "large_file",
            "\n".join(skipped_large),
            f"{len(skipped_large)} file(s) over {max_file_bytes // 10**6} MB were not "
            "copied for the tests (models and data sets are built by the tests "
            "themselves).",
            audience="student",
        )
    grant_access(dest)
    return findings


def _copy_link(src: Path, target: Path, submission: Path, rel: str, note) -> None:
    """Copy a symlink's target if it stays inside the submission."""
    try:
        real = src.resolve(strict=True)
    except (OSError, RuntimeError):
        note(
            "broken_symlink",
            rel,
            f"{rel} is a broken or looping symbolic link; left out.",
        )
        return
    if real != submission and submission not in real.parents:
        note(
            "symlink_outside",
            rel,
            f"{rel} is a symbolic link that points outside "
            "the submission; it was left out of the working copy.",
            "student",
        )
        return
    try:
        if real.is_dir():
            shutil.copytree(
                real,
                target,
                symlinks=True,
                ignore=shutil.ignore_patterns(*SKIP_DIRS),
                dirs_exist_ok=True,
            )
            # Links inside the copied folder are dropped, not followed.
            for inner in sorted(target.rglob("*")):
                if inner.is_symlink():
                    inner.unlink()
        elif real.is_file():
            shutil.copyfile(real, target)
    except OSError as exc:
        note("unreadable", rel, f"Could not copy {rel}: {exc.strerror}.")


# --------------------------------------------------------------------------
# Users and permissions
# --------------------------------------------------------------------------


def _sandbox_ids() -> tuple[int, int] | None:
    """Return (uid, gid) of :data:`SANDBOX_USER` when we are root, else None."""
    if os.geteuid() != 0 or os.environ.get("GRADING_SANDBOX_NO_SETUID"):
        return None
    try:
        import pwd

        entry = pwd.getpwnam(SANDBOX_USER)
    except (KeyError, ImportError):
        return None
    return entry.pw_uid, entry.pw_gid


def _reachable_by_others(path: Path, *, need_read: bool = True) -> bool:
    """True if a user that is neither owner nor group can reach ``path``."""
    try:
        path = Path(os.path.realpath(path))
        for parent in reversed(path.parents):
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return bool(mode & stat.S_IXOTH) and (
            not need_read or bool(mode & stat.S_IROTH)
        )
    return not need_read or bool(mode & stat.S_IROTH)


#: Folders handed to the child with :func:`grant_access` (kept writable).
_GRANTED: set[str] = set()


def grant_access(path: Path) -> None:
    """Let the sandbox user write in ``path`` (a folder the grader made).

    When the grader runs as root, the tree is handed to :data:`SANDBOX_USER`
    and its parents are made traversable; otherwise nothing changes (the child
    runs as the grader's own user). Call it on every folder the child must
    write into, such as an output folder for artifacts. Granted folders stay
    writable when the rest of the file system is made read-only for the child
    (see :func:`run_sandboxed`).
    """
    _GRANTED.add(os.path.realpath(path))
    ids = _sandbox_ids()
    if ids is not None:
        _hand_over(Path(path), ids)


def _hand_over(path: Path, ids: tuple[int, int]) -> None:
    """Give the tree ``path`` to the sandbox user and make its parents traversable."""
    uid, gid = ids
    try:
        for root, dirs, files in os.walk(path, followlinks=False):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        os.chown(path, uid, gid)
        # Parents made by mkdtemp are 0700: let the child traverse them.
        for parent in path.parents:
            mode = os.stat(parent).st_mode
            if (
                not mode & stat.S_IXOTH
                and os.stat(parent).st_uid == 0
                and str(parent).startswith(tempfile.gettempdir())
            ):
                os.chmod(parent, stat.S_IMODE(mode) | stat.S_IXOTH)
    except OSError:
        pass


def _reachable_by(path: Path, uid: int, gid: int) -> bool:
    """True if user ``uid`` (group ``gid``, no other groups) can write in ``path``.

    Every parent must be searchable and ``path`` itself readable, writable and
    searchable, judged from the owner, group or other bits that apply to that
    user (as the kernel does for a process with no supplementary groups).
    """

    def allows(info: os.stat_result, bits: int) -> bool:
        mode = info.st_mode
        if info.st_uid == uid:
            shift = 6
        elif info.st_gid == gid:
            shift = 3
        else:
            shift = 0
        return (mode >> shift) & bits == bits

    try:
        path = Path(os.path.realpath(path))
        for parent in reversed(path.parents):
            if not allows(os.stat(parent), 0o1):
                return False
        return allows(os.stat(path), 0o7)
    except OSError:
        return False


def _child_user(
    cwd: Path, argv: list[str]
) -> tuple[tuple[int, int] | None, str, list[str]]:
    """Decide whom the child runs as; return (ids or None, name, notes).

    When the child will run as :data:`SANDBOX_USER`, the working folder is
    handed to that user (as :func:`grant_access` does) so that the child can
    write in it, whoever made it.
    """
    import getpass

    ids = _sandbox_ids()
    try:
        me = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        me = str(os.geteuid())
    if ids is None:
        return None, me, []
    exe = shutil.which(argv[0]) if argv else None
    if exe and not _reachable_by_others(Path(exe)):
        return (
            None,
            me,
            [
                f"ran as {me}, not {SANDBOX_USER}: the interpreter "
                f"{os.path.realpath(exe)} is not readable by other users"
            ],
        )
    try:
        if os.stat(cwd).st_uid != ids[0] or not _reachable_by(Path(cwd), *ids):
            _hand_over(Path(cwd), ids)
    except OSError:
        pass
    if not _reachable_by(Path(cwd), *ids):
        return (
            None,
            me,
            [
                f"ran as {me}, not {SANDBOX_USER}: the working folder {cwd} could "
                f"not be made writable for {SANDBOX_USER}"
            ],
        )
    return ids, SANDBOX_USER, []


# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------


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


_CLONE_NEWNET = 0x40000000
_NETNS_SUPPORTED: bool | None = None


def _unshare_net() -> None:
    """Move the calling process into a new network namespace (only ``lo``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")


def network_isolation_available() -> bool:
    """True if children can get a network namespace of their own (cached).

    Needs Linux and the right to create network namespaces (root, or
    CAP_SYS_ADMIN in a container). Probed once with ``/bin/true``.
    """
    global _NETNS_SUPPORTED
    if _NETNS_SUPPORTED is None:
        true = shutil.which("true") or "/bin/true"
        try:
            subprocess.run(
                [true],
                preexec_fn=_unshare_net,
                check=True,
                timeout=10,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _NETNS_SUPPORTED = True
        except (OSError, subprocess.SubprocessError):
            _NETNS_SUPPORTED = False
    return _NETNS_SUPPORTED


_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND = 32, 1024, 2048, 4096
_MS_REC, _MS_PRIVATE, _MS_RELATIME, _MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
_MOUNT_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": _MS_NOATIME,
    "nodiratime": _MS_NODIRATIME,
    "relatime": _MS_RELATIME,
    "strictatime": _MS_STRICTATIME,
}
# Pseudo file systems left as they are (devices, /dev/shm, process info).
_KEEP_MOUNTS = ("/proc", "/sys", "/dev")
_FS_ISOLATION_BROKEN = False


def _unescape_mount(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def _readonly_plan() -> list[tuple[bytes, int]]:
    """Mount points to remount read-only in the child, with flags to keep."""
    plan = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return plan
    for line in lines:
        fields = line.split()
        if len(fields) < 6:
            continue
        point = _unescape_mount(fields[4])
        options = fields[5].split(",")
        if "ro" in options:
            continue
        if any(point == k or point.startswith(k + "/") for k in _KEEP_MOUNTS):
            continue
        flags = 0
        for option in options:
            flags |= _MOUNT_FLAGS.get(option, 0)
        plan.append((os.fsencode(point), flags))
    return plan


def filesystem_isolation_available() -> bool:
    """True if children can get a read-only view of the file system.

    Needs Linux and the right to create mount namespaces (root, or
    CAP_SYS_ADMIN in a container).
    """
    return (
        os.geteuid() == 0
        and sys.platform.startswith("linux")
        and (not _FS_ISOLATION_BROKEN)
    )


def _libc_call(name: str, *args) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}{args[:2]} failed: {os.strerror(errno)}")


def _isolate_filesystem(writable: list[bytes], plan: list[tuple[bytes, int]]) -> None:
    """In the child: make every mount read-only except the writable folders."""
    _libc_call("unshare", _CLONE_NEWNS)
    _libc_call("mount", None, b"/", None, _MS_REC | _MS_PRIVATE, None)
    for folder in writable:
        _libc_call("mount", folder, folder, None, _MS_BIND | _MS_REC, None)
    for point, flags in plan:
        _libc_call(
            "mount",
            None,
            point,
            None,
            _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags,
            None,
        )
    # The child entered its working folder before the bind mounts existed;
    # enter it again so relative paths go through the writable mount.
    os.chdir(os.getcwd())


_LANDLOCK_CREATE_RULESET, _LANDLOCK_RESTRICT_SELF = 444, 446  # every arch
_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, _LANDLOCK_SCOPE_SIGNAL = 1, 2
_PR_SET_NO_NEW_PRIVS = 38


def _scope_to_own_processes() -> bool:
    """Confine the calling process to signalling and tracing its own tree.

    A Landlock domain (Linux 6.12+, Landlock ABI 6) with signal and abstract
    socket scoping: the child and its descendants can no longer send signals
    to, ptrace, or read the memory of processes outside the domain (the
    grader, the batch, other submissions' sandboxes), even as root. Other
    sandboxes run in domains of their own. Returns False, changing nothing,
    where Landlock or scoping is not available.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(
        _LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)
    )
    if abi < 6:
        return False

    class RulesetAttr(ctypes.Structure):
        _fields_ = [
            ("handled_access_fs", ctypes.c_uint64),
            ("handled_access_net", ctypes.c_uint64),
            ("scoped", ctypes.c_uint64),
        ]

    attr = RulesetAttr(
        0, 0, _LANDLOCK_SCOPE_SIGNAL | _LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
    )
    fd = libc.syscall(
        _LANDLOCK_CREATE_RULESET,
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        ctypes.c_uint32(0),
    )
    if fd < 0:
        return False
    try:
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(_LANDLOCK_RESTRICT_SELF, fd, ctypes.c_uint32(0)) == 0
    finally:
        os.close(fd)


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
    global _FS_ISOLATION_BROKEN
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
        _FS_ISOLATION_BROKEN = True
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


# --------------------------------------------------------------------------
# pytest in the sandbox
# --------------------------------------------------------------------------

#: Plugins loaded in the sandboxed pytest (plugin autoload is off there).
PYTEST_PLUGINS = ("pytest_timeout",)

_LAUNCHER = """\
import sys
cfg = __import__("json").loads(sys.argv[1])
# -S: no site module, so no .pth files, sitecustomize or usercustomize ran.
# What is on sys.path now: the grader's PYTHONPATH (run_sandboxed's
# pythonpath=) and the standard library.
stdlib = [p for p in sys.path if p and p not in ("", ".")]
sys.path[:] = stdlib + cfg["site"]
import pytest, _pytest.config, _pytest.main, pluggy, iniconfig  # noqa: E401
for name in cfg["plugins"]:
    __import__(name)
# The student's code comes after the standard library (no shadowing of it)
# and before site-packages (an installed copy of the course must not win).
sys.path[len(stdlib):len(stdlib)] = cfg["path"]
import os
for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DEBUG"):
    os.environ.pop(name, None)
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
sys.argv = ["pytest"] + sys.argv[2:]
extra_plugins = []
if cfg.get("integrity"):
    # Tamper evidence: what pytest, pluggy, numpy and the grader's plugins
    # are made of when the session starts (before any student import) is
    # compared when it ends; the report goes to stderr with the nonce.
    import hashlib, json, types  # noqa: E401

    def watched():
        found = {}
        prefixes = ("_pytest.", "pluggy.")
        names = [n for n in list(sys.modules) if n in ("pytest", "pluggy", "numpy")
                 or n.startswith(prefixes) or n in cfg["plugins"]]
        for name in names:
            module = sys.modules.get(name)
            if module is None:
                continue
            for attr, value in list(vars(module).items()):
                if isinstance(value, types.ModuleType) or not callable(value):
                    continue
                found[name + "." + attr] = value
                if isinstance(value, type) and value.__module__ == name:
                    for key, member in list(vars(value).items()):
                        if callable(member) or isinstance(
                                member, (classmethod, staticmethod, property)):
                            found[name + "." + attr + "." + key] = member
        return found

    class Integrity:
        def pytest_sessionstart(self, session):
            self.before = watched()

        @pytest.hookimpl(tryfirst=True)
        def pytest_unconfigure(self, config):
            before = getattr(self, "before", {})
            after = watched()
            changed = sorted(k for k, v in before.items() if after.get(k) is not v)
            digest = ""
            path = os.environ.get("GRADER_RESULTS", "")
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                pass
            line = json.dumps({"changed": changed[:50], "results_sha256": digest})
            sys.stderr.write("\\nGRADER-INTEGRITY %s %s\\n" % (cfg["integrity"], line))
            sys.stderr.flush()

    extra_plugins.append(Integrity())
raise SystemExit(pytest.main(sys.argv[1:], plugins=extra_plugins))
"""

INTEGRITY_PREFIX = "GRADER-INTEGRITY"


def integrity_report(
    stderr: str, nonce: str, results_path: Path | None = None
) -> dict[str, Any] | None:
    """Read the tamper evidence of a pytest run started with ``integrity=``.

    Parameters
    ----------
    stderr : str
        Captured stderr of the run.
    nonce : str
        The value given to :func:`pytest_argv` as ``integrity``.
    results_path : Path, optional
        The recorder's results file; its hash at the end of the session is
        compared with the file as it is now.

    Returns
    -------
    dict or None
        ``None`` when the run printed no report (it crashed, exited early, or
        the report was suppressed); else ``{"changed": [names of functions
        of pytest, pluggy, numpy or the grader's plugins that the run
        replaced], "results_rewritten": bool}``. Code written against the
        grader can forge this too: it is evidence against generic tricks, not
        a proof of honesty.
    """
    report = None
    marker = f"{INTEGRITY_PREFIX} {nonce} "
    for line in stderr.splitlines():
        if line.startswith(marker):
            try:
                report = json.loads(line[len(marker) :])
            except ValueError:
                report = None
    if not isinstance(report, dict):
        return None
    rewritten = False
    if results_path is not None and report.get("results_sha256"):
        try:
            now = hashlib.sha256(Path(results_path).read_bytes()).hexdigest()
        except OSError:
            now = ""
        rewritten = now != report["results_sha256"]
    return {
        "changed": [str(c) for c in report.get("changed") or []],
        "results_rewritten": rewritten,
    }


def _site_dirs() -> list[str]:
    """Return the site-packages folders of the running interpreter."""
    paths = sysconfig.get_paths()
    dirs: list[str] = []
    for key in ("purelib", "platlib"):
        if paths.get(key) and paths[key] not in dirs:
            dirs.append(paths[key])
    return dirs


def empty_ini() -> Path:
    """Return the grader's own empty pytest ini file (created on first use)."""
    folder = Path(tempfile.gettempdir()) / f"grading-sandbox-{os.geteuid()}"
    ini = folder / "pytest.ini"
    text = "[pytest]\n# The grader's own (empty) pytest configuration.\n"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        info = os.lstat(folder)
        if info.st_uid != os.geteuid() or not stat.S_ISDIR(info.st_mode):
            raise PermissionError(folder)
        if not ini.is_file() or ini.read_text(encoding="utf-8") != text:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".ini")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, ini)
        os.chmod(folder, 0o755)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="grading-sandbox-"))
        os.chmod(folder, 0o755)
        ini = folder / "pytest.ini"
        ini.write_text(text, encoding="utf-8")
        os.chmod(ini, 0o644)
    return ini


def pytest_argv(
    tests_dir: Path,
    workcopy: Path,
    extra: list[str] | None = None,
    *,
    pythonpath: list[Path] | None = None,
    plugins: tuple[str, ...] = PYTEST_PLUGINS,
    targets: list[str] | None = None,
    integrity: str | None = None,
) -> list[str]:
    """Return the command that runs the hidden tests in the sandbox.

    The command is ``python -s -S -B [-P] -c <launcher> <config> <pytest args>``:
    no ``site`` import (so ``.pth`` files, ``sitecustomize.py`` and
    ``usercustomize.py`` never run, wherever they are), an explicit
    ``sys.path`` of the standard library, then ``workcopy`` (and
    ``pythonpath``), then the grader's site-packages, with pytest and its
    plugins imported before the working copy is on the path. pytest gets
    ``-c`` with the grader's own empty ini (no ``pytest.ini``,
    ``pyproject.toml``, ``setup.cfg`` or ``tox.ini`` of the submission is read),
    ``--rootdir`` and ``--confcutdir`` at ``tests_dir`` (no ``conftest.py``
    above it is loaded), ``-p no:cacheprovider`` and ``--import-mode=append``
    (the tests folder never goes before the student's code on ``sys.path``).
    Run it with :func:`run_sandboxed`, whose environment has no
    ``PYTEST_ADDOPTS`` and sets ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``.

    Parameters
    ----------
    tests_dir : Path
        Folder of hidden test modules; must lie outside ``workcopy``.
    workcopy : Path
        The working copy whose code the tests import.
    extra : list of str, optional
        More pytest options (``-k``, ``--junitxml=...``, ``-x``); they come
        after ours, so they may override ``--import-mode``.
    pythonpath : list of Path, optional
        More import folders, after ``workcopy``.
    plugins : tuple of str, optional
        Plugin modules loaded explicitly with ``-p``.
    targets : list of str, optional
        Test files or node ids relative to ``tests_dir``
        (``"test_pruned.py::test_sparsity"``); the whole folder by default.
    integrity : str, optional
        A nonce: the run then prints tamper evidence (functions of pytest,
        pluggy, numpy and the plugins replaced during the session) for
        :func:`integrity_report`.

    Raises
    ------
    ValueError
        If ``tests_dir`` is inside ``workcopy`` (its conftest files would be
        the student's).
    """
    tests_dir = Path(tests_dir).resolve()
    workcopy = Path(workcopy).resolve()
    if tests_dir == workcopy or workcopy in tests_dir.parents:
        raise ValueError(
            f"hidden tests folder {tests_dir} lies inside the working copy "
            f"{workcopy}; copy the tests outside it first"
        )
    cfg = {
        "site": _site_dirs(),
        "path": [str(workcopy)] + [str(Path(p).resolve()) for p in pythonpath or []],
        "plugins": list(plugins),
        "integrity": integrity or "",
    }
    flags = ["-s", "-S", "-B"]
    flags.append("-P")
    argv = [sys.executable, *flags, "-c", _LAUNCHER, json.dumps(cfg)]
    argv += [
        "-c",
        str(empty_ini()),
        "--rootdir",
        str(tests_dir),
        "--confcutdir",
        str(tests_dir),
        "-p",
        "no:cacheprovider",
        "--import-mode=append",
        # The launcher imports the plugins before pytest starts (so the
        # working copy cannot shadow them); pytest then warns it cannot
        # rewrite their asserts, which is noise.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    for plugin in plugins:
        argv += ["-p", plugin]
    argv += [*(extra or [])]
    if targets:
        for target in targets:
            path, _, rest = str(target).partition("::")
            full = (tests_dir / path).resolve()
            if full != tests_dir and tests_dir not in full.parents:
                raise ValueError(f"test target {target!r} is outside {tests_dir}")
            argv.append(str(full) + (f"::{rest}" if rest else ""))
    else:
        argv.append(str(tests_dir))
    return argv


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


# Re-exported so callers need one import for the whole sandbox API.
from grading.sandbox.protected import restore_protected  # noqa: E402

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "SandboxResult",
    "describe",
    "empty_ini",
    "grant_access",
    "integrity_report",
    "make_working_copy",
    "pytest_argv",
    "restore_protected",
    "run_sandboxed",
    "scrubbed_env",
]
