"""Files the grader writes and reads: atomic writes, JSON, safe reads.

The files another process may read while they are written (results, status,
gradebooks, the sandbox's support files) go through :func:`write_atomic` (a
temporary file in the same folder, then :func:`os.replace`), so a reader never
sees half a file and a crash leaves the previous version in place. This is the
grader's only atomic writer; the hidden suites, which cannot import
``grading`` inside the sandbox, keep a small one of their own
(``grading/hidden/suites/grader_plugin.py``).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; create the parent folder.

    Parameters
    ----------
    path : Path
        Target file.
    data : str or bytes
        Content; ``str`` is written as UTF-8.
    mode : int, optional
        Permission bits of the file; by default those a plain ``open()``
        gives under the process's umask.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; give the file the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json(path: Path, data: Any, *, sort_keys: bool = True) -> Path:
    """Write ``data`` as indented UTF-8 JSON atomically."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False)
    return write_atomic(path, text + "\n")


def read_json(path: Path) -> tuple[Any, str]:
    """Read a JSON file without raising.

    Returns
    -------
    tuple
        ``(data, "")`` on success, ``(None, reason)`` when the file is missing,
        unreadable or not JSON; ``reason`` names the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{path} is missing"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path} cannot be read: {exc}"
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"{path} is not valid JSON ({exc})"


def read_json_object(path: Path) -> dict[str, Any]:
    """Return the JSON object in ``path``, or ``{}`` when it is not one."""
    data, _ = read_json(path)
    return data if isinstance(data, dict) else {}


def read_untrusted(path: Path, limit: int) -> bytes | None:
    """Read a file that untrusted code may have written or replaced.

    A symbolic link is never followed (``O_NOFOLLOW``), only a regular file is
    read, and at most ``limit`` bytes of it.

    Returns
    -------
    bytes or None
        The content, or None when the file is missing, a link, not a regular
        file, larger than ``limit`` or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_untrusted_json(path: Path, limit: int = 4 * 1024 * 1024) -> dict[str, Any]:
    """Return the JSON object in an untrusted file, or ``{}``.

    Like :func:`read_untrusted` (no links, at most ``limit`` bytes); anything
    that is not a JSON object, or nests too deep to parse, gives ``{}``.
    """
    raw = read_untrusted(path, limit)
    if raw is None:
        return {}
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
