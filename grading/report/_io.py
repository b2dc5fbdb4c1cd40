"""Small file helpers shared by the report modules: atomic writes, safe reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grading.pipeline.outputs import write_atomic


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 so readers never see half a file.

    A thin name for :func:`grading.pipeline.outputs.write_atomic`, which writes a
    temporary file in the same folder and replaces ``path`` in one step.

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
    return write_atomic(path, text)


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
