"""Isolation of the child: bubblewrap, and only what the child needs mounted.

Every sandboxed command runs under bubblewrap (``bwrap``, the unprivileged
sandbox Flatpak uses), never under a home-made mix of namespaces:

- new user, PID, mount, IPC, UTS and network namespaces (``--unshare-all``),
  no further user namespaces inside (``--disable-userns``), no capabilities
  (``--cap-drop ALL``), a new session (``--new-session``), and the whole
  process tree killed when bubblewrap or the grader dies
  (``--die-with-parent``; bubblewrap is PID 1 of the namespace, so when it
  ends every process of the run ends with it);
- a fresh ``/proc`` of that PID namespace, a minimal ``/dev``, a private
  ``/tmp`` (a size-limited tmpfs) and an empty root: nothing of the host's
  file system is there but the read-only runtime (``/usr``, the loader's
  cache, the interpreter's real prefix and site-packages, see
  :func:`runtime_mounts`) and the folders a caller mounts (:class:`Mount`).

bubblewrap always runs as an unprivileged user. When the grader runs as root,
the child is started as :data:`SANDBOX_USER` (``nobody``) before bubblewrap
is executed, so the child is ``nobody`` outside its namespaces too, with that
user's file permissions and process limit. Folders that user cannot reach (a
pyenv interpreter under a 0700 ``/root``, a scratch folder under a 0700
parent) are first bound onto a mount point it can reach, in a mount namespace
of the starting process only (:func:`staged`), so an unreadable home is no
longer a reason to keep root's rights. When the grader runs as a normal user,
the child is that user outside and ``nobody`` inside.

Where bubblewrap cannot run (not installed, user namespaces disabled, a
container without the flags in ``docs/threat-model.md``), :func:`status` says
why; :func:`grading.sandbox.run_sandboxed` then refuses to run untrusted code
unless told ``unsafe=True``.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: User the child runs as inside its namespaces (and outside, when the
#: grader runs as root).
SANDBOX_USER = "nobody"
SANDBOX_UID = SANDBOX_GID = 65534
#: Size of the child's private /tmp (a tmpfs, so it is memory).
TMP_BYTES = 512 * 1024 * 1024
#: Where bubblewrap is looked for first (Debian's package), then on PATH.
BWRAP = "/usr/bin/bwrap"
#: System folders bound read-only (or recreated as the links they are).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files of /etc the dynamic loader and the C library read.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
)


#: The grader's own pytest configuration (empty: nothing of the student's).
PYTEST_INI = "[pytest]\n# The grader's own (empty) pytest configuration.\n"


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here; the message says why and what to do."""


@dataclass(frozen=True)
class Mount:
    """A host path the child sees.

    Parameters
    ----------
    source : Path
        The host path (file or folder).
    target : str, optional
        Where the child sees it; the same path by default.
    writable : bool
        Bound read-write (the child's own folders) instead of read-only.
    """

    source: Path
    target: str = ""
    writable: bool = False

    @property
    def dest(self) -> str:
        """The path inside the sandbox."""
        return self.target or str(self.source)


@dataclass(frozen=True)
class Link:
    """A symbolic link recreated inside the sandbox (``/lib -> usr/lib``)."""

    path: str
    target: str


@dataclass(frozen=True)
class Status:
    """Whether bubblewrap runs here, and why not."""

    available: bool
    path: str = ""
    reason: str = ""


# --------------------------------------------------------------------------
# Users and permissions
# --------------------------------------------------------------------------


def is_root() -> bool:
    """True when the grader runs as root (the child then starts as nobody)."""
    return os.geteuid() == 0


def child_ids() -> tuple[int, int] | None:
    """Return (uid, gid) the child is switched to before bubblewrap, or None."""
    return (SANDBOX_UID, SANDBOX_GID) if is_root() else None


def _reachable(path: Path, uid: int, gid: int, *, write: bool = False) -> bool:
    """True if ``uid`` (group ``gid``, no other groups) can reach ``path``.

    Every parent must be searchable; a folder must be readable and searchable
    (and writable with ``write``), a file readable. Judged from the mode bits
    that apply to that user, as the kernel does for a process without
    capabilities.
    """

    def allows(info: os.stat_result, bits: int) -> bool:
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        return (info.st_mode >> shift) & bits == bits

    try:
        real = Path(os.path.realpath(path))
        for parent in reversed(real.parents):
            if not allows(os.stat(parent), 0o1):
                return False
        info = os.stat(real)
    except OSError:
        return False
    wanted = 0o4 | (0o1 if stat.S_ISDIR(info.st_mode) else 0) | (0o2 if write else 0)
    return allows(info, wanted)


def _hand_over(path: Path, ids: tuple[int, int]) -> None:
    """Give the tree ``path`` to the sandbox user (links are not followed)."""
    uid, gid = ids
    try:
        for root, dirs, files in os.walk(path, followlinks=False):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        os.chown(path, uid, gid)
    except OSError:
        pass


def grant_access(path: Path) -> None:
    """Let the child write in ``path``, a folder the grader made for it.

    When the grader runs as root, the tree is handed to :data:`SANDBOX_USER`;
    otherwise nothing changes (the child is the grader's user outside its
    namespaces). :func:`grading.sandbox.run_sandboxed` does this for every
    writable mount itself.
    """
    ids = child_ids()
    if ids is not None:
        _hand_over(Path(path), ids)


# --------------------------------------------------------------------------
# What the child sees
# --------------------------------------------------------------------------


_SUPPORT: Path | None = None


def _support_dir() -> Path:
    """The grader's own folder of files the child reads (one per user)."""
    global _SUPPORT
    if _SUPPORT is not None and _SUPPORT.is_dir():
        return _SUPPORT
    folder = Path(tempfile.gettempdir()) / f"grading-sandbox-{os.geteuid()}"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        info = os.lstat(folder)
        if info.st_uid != os.geteuid() or not stat.S_ISDIR(info.st_mode):
            raise PermissionError(folder)
        os.chmod(folder, 0o755)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="grading-sandbox-"))
        os.chmod(folder, 0o755)
    _SUPPORT = folder
    return folder


def support_file(name: str, text: str) -> Path:
    """Write ``text`` to ``name`` in the grader's support folder (0644)."""
    path = _support_dir() / name
    try:
        if path.is_file() and not path.is_symlink() and path.read_text() == text:
            return path
    except OSError:
        pass
    from grading.util.io import write_atomic

    return write_atomic(path, text, mode=0o644)


def _interpreter_paths() -> list[str]:
    """The interpreter's prefixes and import folders, as Python names them."""
    paths = [
        sys.prefix,
        sys.exec_prefix,
        sys.base_prefix,
        sys.base_exec_prefix,
        os.path.dirname(sys.executable),
    ]
    config = sysconfig.get_paths()
    paths += [config[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    return [p for p in dict.fromkeys(paths) if p and os.path.isdir(p)]


def _covered(path: str, mounts: list[Mount]) -> bool:
    """True if ``path`` already shows its real content through ``mounts``."""
    real = os.path.realpath(path)
    for mount in mounts:
        dest = mount.dest.rstrip("/") or "/"
        if path == dest or path.startswith(dest + "/"):
            inner = os.path.join(str(mount.source), os.path.relpath(path, dest))
            if os.path.realpath(inner) == real:
                return True
    return False


def runtime_mounts() -> list[Mount | Link]:
    """The read-only runtime every child gets.

    ``/usr`` and the other system folders (recreated as links where they are
    links, as on merged-``/usr`` systems), the loader's files of ``/etc``, a
    ``passwd`` and ``group`` that name only the sandbox user, and the running
    interpreter: its real prefix, the virtual environment and site-packages,
    each bound at the path Python knows it by and at its real path.
    """
    found: list[Mount | Link] = []
    mounts: list[Mount] = []
    for name in SYSTEM_DIRS:
        if os.path.islink(name):
            found.append(Link(name, os.readlink(name)))
        elif os.path.isdir(name):
            mounts.append(Mount(Path(name)))
    mounts += [Mount(Path(p)) for p in ETC_FILES if os.path.exists(p)]
    entry = f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_GID}::/tmp:/usr/sbin/nologin\n"
    mounts.append(Mount(support_file("passwd", entry), "/etc/passwd"))
    group = f"nogroup:x:{SANDBOX_GID}:\n"
    mounts.append(Mount(support_file("group", group), "/etc/group"))
    mounts.append(Mount(support_file("pytest.ini", PYTEST_INI)))
    for path in _interpreter_paths():
        real = os.path.realpath(path)
        for target in dict.fromkeys([real, path]):
            if not _covered(target, mounts):
                mounts.append(Mount(Path(real), target))
    return found + mounts


#: What bubblewrap makes fresh for every run, before any bind: a bind onto
#: one of them, or onto a parent of one, would hide it.
FRESH = ("/proc", "/dev", "/tmp")


class UnsafeMount(ValueError):
    """A mount would hide the sandbox's fresh ``/proc``, ``/dev`` or ``/tmp``."""


def check_dest(dest: str) -> None:
    """Refuse a sandbox path that is ``/``, relative, or hides a fresh folder.

    Raises
    ------
    UnsafeMount
        When ``dest`` is ``/``, not absolute, or equal to or a parent of one
        of :data:`FRESH` (a later ``--ro-bind / /`` hides ``--proc /proc``).
    """
    if not dest.startswith("/"):
        raise UnsafeMount(f"sandbox path {dest!r} is not absolute")
    norm = "/" + os.path.normpath(dest).lstrip("/")
    for fresh in FRESH:
        if norm == "/" or fresh == norm or fresh.startswith(norm + "/"):
            raise UnsafeMount(
                f"refusing to mount onto {dest!r}: it would hide the sandbox's "
                f"own {fresh} (bind only what the child needs, below it)"
            )


def _guard(items: list[Mount | Link]) -> None:
    for item in items:
        check_dest(item.path if isinstance(item, Link) else item.dest)


def _ordered(items: list[Mount | Link]) -> list[Mount | Link]:
    """Parents before children, so that no bind hides an earlier one."""

    def depth(item: Mount | Link) -> tuple[int, str]:
        where = item.path if isinstance(item, Link) else item.dest
        return (where.rstrip("/").count("/"), where)

    return sorted(dict.fromkeys(items), key=depth)


# --------------------------------------------------------------------------
# Starting bubblewrap
# --------------------------------------------------------------------------


def bwrap_path() -> str | None:
    """Return the bubblewrap executable, or None when there is none."""
    if os.access(BWRAP, os.X_OK):
        return BWRAP
    return shutil.which("bwrap")


@dataclass
class Plan:
    """What a run mounts, and the host mount points that stand in for paths
    the child's user cannot reach (see :func:`staged`)."""

    items: list[Mount | Link]
    stage: list[tuple[str, str]]
    stage_root: Path | None = None

    def cleanup(self) -> None:
        """Remove the (empty) mount points of the stand-ins."""
        if self.stage_root is not None:
            shutil.rmtree(self.stage_root, ignore_errors=True)


def plan(mounts: list[Mount]) -> Plan:
    """Decide how each mount reaches the child.

    When the grader runs as root, writable mounts are handed to the sandbox
    user, and a mount that user still cannot reach gets a stand-in: an empty
    folder (or file) of the grader's, onto which the real path is bound in
    the starting process's own mount namespace just before bubblewrap runs.
    """
    _guard(mounts)  # before any folder is handed over
    given = [m for m in mounts if os.path.lexists(m.source)]
    items = _ordered([*runtime_mounts(), *given])
    ids = child_ids()
    if ids is None:
        return Plan(items, [])
    stage: list[tuple[str, str]] = []
    root: Path | None = None
    done: list[Mount | Link] = []
    for item in items:
        if isinstance(item, Mount):
            if item.writable:
                _hand_over(item.source, ids)
            if not _reachable(item.source, *ids, write=item.writable):
                if root is None:
                    root = Path(tempfile.mkdtemp(prefix="stage-", dir=_support_dir()))
                    os.chmod(root, 0o755)
                point = root / str(len(stage))
                if item.source.is_dir():
                    point.mkdir(mode=0o755)
                else:
                    point.touch(mode=0o644)
                stage.append((str(item.source), str(point)))
                item = Mount(point, item.dest, item.writable)
        done.append(item)
    return Plan(done, stage, root)


def bwrap_argv(
    bwrap: str,
    run_plan: Plan,
    cwd: str,
    *,
    network: bool,
    info_fd: int | None,
    dirs: tuple[str, ...] = (),
) -> list[str]:
    """The bubblewrap options of one run (the command follows ``--``).

    The order matters: ``/proc``, ``/dev`` and ``/tmp`` first (and ``dirs``,
    folders made on that ``/tmp``), then the mounts, parents before children.
    Nothing binds ``/`` or hides ``/proc``, ``/dev`` or ``/tmp``
    (:func:`check_dest` refuses such a plan).
    """
    _guard(run_plan.items)
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
    if network:
        argv.append("--share-net")
    argv += [
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_GID),
        "--hostname",
        "sandbox",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",
    ]
    for folder in dirs:
        argv += ["--dir", folder]
    for item in run_plan.items:
        if isinstance(item, Link):
            argv += ["--symlink", item.target, item.path]
        else:
            flag = "--bind" if item.writable else "--ro-bind"
            argv += [flag, str(item.source), item.dest]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    argv += ["--chdir", cwd, "--"]
    return argv


# The few libc calls made between fork and exec, resolved before the fork.
_LIBC = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS = 0x00020000
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18


def _libc_call(name: str, *args) -> None:
    if getattr(_LIBC, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name} failed: {os.strerror(errno)}")


def staged(stage: list[tuple[str, str]]) -> None:
    """In the starting process: bind each real path onto its stand-in.

    The binds live in a mount namespace of this process only (it is about
    to become bubblewrap), so the host's mounts do not change.
    """
    if not stage:
        return
    _libc_call("unshare", _CLONE_NEWNS)
    _libc_call("mount", None, b"/", None, _MS_REC | _MS_PRIVATE, None)
    for source, point in stage:
        flags = _MS_BIND | _MS_REC
        _libc_call("mount", os.fsencode(source), os.fsencode(point), None, flags, None)


def drop_privileges() -> None:
    """In the starting process: become the sandbox user (when root)."""
    ids = child_ids()
    if ids is None:
        return
    os.setgroups([])
    os.setgid(ids[1])
    os.setuid(ids[0])


_STATUS: Status | None = None


def status(refresh: bool = False) -> Status:
    """Whether bubblewrap can run a child here (probed once, then cached)."""
    global _STATUS
    if _STATUS is not None and not refresh:
        return _STATUS
    bwrap = bwrap_path()
    if bwrap is None:
        reason = "bubblewrap is not installed (apt-get install bubblewrap)"
        _STATUS = Status(False, "", reason)
        return _STATUS
    run_plan = plan([])
    true = "/usr/bin/true" if os.path.exists("/usr/bin/true") else "/bin/true"
    argv = [*bwrap_argv(bwrap, run_plan, "/", network=False, info_fd=None), true]

    def start() -> None:
        staged(run_plan.stage)
        drop_privileges()

    try:
        proc = subprocess.run(
            argv,
            preexec_fn=start,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin"},
        )
        reason = proc.stderr.decode("utf-8", "replace").strip()
        ok = proc.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        ok, reason = False, str(exc)
    finally:
        run_plan.cleanup()
    _STATUS = Status(ok, bwrap, "" if ok else f"{bwrap} cannot run here: {reason}")
    return _STATUS
