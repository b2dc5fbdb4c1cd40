"""Check image references of a summary against the repository.

A reference is resolved relative to the summary file (or to the repository
root when it starts with ``/``, as GitHub does). Nothing outside the
repository is ever opened: ``..`` paths and symbolic links that leave it are
reported, not followed.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")

PROBLEMS = {
    "missing": "the file {ref} is not in the repository",
    "wrong_case": "the file {ref} exists only as {actual}; letter case matters on "
    "GitHub and Linux",
    "not_image": "{ref} is not a PNG, JPEG, GIF, WebP or SVG image",
    "outside": "{ref} points outside the repository",
    "remote": "{ref} is a web link, not a file committed to the repository",
    "empty": "the image reference is empty",
}


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _is_image(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    if head.startswith(_MAGIC):
        return not head.startswith(b"RIFF") or head[8:12] == b"WEBP"
    return b"<svg" in head.lower()


def _case_insensitive(root: Path, rel: Path) -> Path | None:
    """Find ``rel`` under ``root`` ignoring letter case (no symlink following)."""
    current = root
    for part in rel.parts:
        try:
            entries = {
                e.name.lower(): e.name
                for e in os.scandir(current)
                if not e.is_symlink()
            }
        except OSError:
            return None
        name = entries.get(part.lower())
        if name is None:
            return None
        current = current / name
    return current


def check_image(ref: str, summary_dir: Path | None, root: Path | None) -> dict:
    """Resolve one image reference.

    Parameters
    ----------
    ref : str
        The ``src`` as written in the summary.
    summary_dir : Path or None
        Folder of the summary file; None when the summary has no location.
    root : Path or None
        Repository root; nothing outside it is read.

    Returns
    -------
    dict
        ``{"ref", "exists", "problem", "path", "message"}`` where ``problem``
        is a key of :data:`PROBLEMS` or None and ``path`` is relative to
        ``root``.
    """
    result = {"ref": ref, "exists": False, "problem": None, "path": None, "message": ""}
    clean = unquote(ref.strip().strip("<>").split("#", 1)[0].split("?", 1)[0])
    if not clean:
        result["problem"] = "empty"
    elif clean.startswith("data:image/"):
        result.update(exists=True, path="(embedded in the summary)")
        return result
    elif "://" in clean or clean.startswith("//"):
        result["problem"] = "remote"
    elif summary_dir is None or root is None:
        result["problem"] = "missing"
    else:
        root_abs = Path(os.path.abspath(root))
        base = root_abs if clean.startswith("/") else Path(os.path.abspath(summary_dir))
        target = Path(os.path.normpath(base / clean.lstrip("/").replace("\\", "/")))
        if not _inside(target, root_abs):
            result["problem"] = "outside"
        else:
            rel = target.relative_to(root_abs)
            result["path"] = rel.as_posix()
            if target.is_symlink() or any(
                p.is_symlink()
                for p in target.parents
                if _inside(p, root_abs) and p != root_abs
            ):
                real = Path(os.path.realpath(target))
                if not _inside(real, Path(os.path.realpath(root_abs))):
                    result["problem"] = "outside"
                    return _message(result)
            if target.is_file():
                if _is_image(target):
                    result["exists"] = True
                else:
                    result["problem"] = "not_image"
            else:
                actual = _case_insensitive(root_abs, rel)
                if actual is not None and actual.is_file():
                    result["problem"] = "wrong_case"
                    result["actual"] = actual.relative_to(root_abs).as_posix()
                else:
                    result["problem"] = "missing"
    return _message(result)


def _message(result: dict) -> dict:
    if result["problem"]:
        result["message"] = PROBLEMS[result["problem"]].format(
            ref=result["ref"] or "''", actual=result.get("actual", "")
        )
    return result
