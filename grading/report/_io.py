"""Small file helpers shared by the report modules: atomic writes, safe reads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 so readers never see half a file.

    The text goes to a temporary file in the same folder, which then replaces
    ``path`` in one step (:func:`os.replace`).

    Parameters
    ----------
    path : Path
        Destination file; its folder is created when missing.
    text : str
        Content to write.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # mkstemp creates 0600; give the file the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON with :func:`atomic_write_text`."""
    return atomic_write_text(
        path, json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    )


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
