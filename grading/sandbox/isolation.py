"""Isolation of the child: its user, its file system view, its network.

Where the grader runs as root the child runs as :data:`SANDBOX_USER`, in a
mount namespace where every mount but its writable folders is read-only, in
a network namespace of its own and in a Landlock domain that scopes its
signals to its own processes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

#: User the child runs as when the grader runs as root.
SANDBOX_USER = "nobody"


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
