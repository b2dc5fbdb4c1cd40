"""Images named in finding data, embedded as ``data:`` URIs when it is safe.

Only files inside the submission or the report folder, with an image
signature and a bounded size, are embedded: a summary that links
``../../etc/passwd`` gets a note, not the file.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from grading.report.format import text

#: Images embedded per report, and bytes per image.
MAX_IMAGES = 24
MAX_IMAGE_BYTES = 3 * 1024 * 1024

IMAGE_KEYS = (
    "image",
    "images",
    "confusion_matrix",
    "confusion_matrices",
    "figure",
    "figures",
    "plot",
    "plots",
)
_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _image_candidates(
    data: Any, caption: str = "", depth: int = 0
) -> list[tuple[str, str]]:
    """Collect ``(reference, caption)`` pairs of images named in finding data."""
    found: list[tuple[str, str]] = []
    if depth > 3:
        return found
    if isinstance(data, str):
        found.append((data, caption))
    elif isinstance(data, list):
        for entry in data:
            found.extend(_image_candidates(entry, caption, depth + 1))
    elif isinstance(data, dict):
        for key in ("path", "ref", "src", "file"):
            if isinstance(data.get(key), str):
                return [(data[key], text(data.get("caption")) or caption)]
        for key, entry in data.items():
            found.extend(_image_candidates(entry, text(key), depth + 1))
    return found


def _sniff(blob: bytes) -> str:
    for magic, mime in _IMAGE_MAGIC.items():
        if blob.startswith(magic):
            return mime
    if blob[:4] == b"RIFF" and blob[8:12] == b"WEBP":
        return "image/webp"
    return ""


def embed_images(
    data: dict[str, Any], roots: list[Path]
) -> tuple[list[dict], list[str]]:
    """Turn image references in finding ``data`` into ``data:`` URIs.

    Only files inside one of ``roots`` (the submission and the report folder,
    after resolving symlinks) with a PNG, JPEG, GIF or WebP signature and at
    most :data:`MAX_IMAGE_BYTES` are embedded: a summary that links
    ``../../etc/passwd`` gets a note, not the file.

    Parameters
    ----------
    data : dict
        A finding's ``data``; keys in :data:`IMAGE_KEYS` are read.
    roots : list of Path
        Folders images may come from. Relative references are tried against
        each, and against ``data["base"]`` or the parent of
        ``data["summary_file"]`` when given.

    Returns
    -------
    tuple
        ``([{"src", "caption"}], [notes about images left out])``.
    """
    refs: list[tuple[str, str]] = []
    for key in IMAGE_KEYS:
        if key in data:
            refs.extend(_image_candidates(data[key]))
    images: list[dict] = []
    notes: list[str] = []
    if not refs:
        return images, notes
    resolved_roots = _resolved(roots)
    bases = _bases(data, resolved_roots)
    for ref, caption in refs:
        image, note = _embed_one(
            ref, caption or Path(ref).name, bases, resolved_roots, len(images)
        )
        if image is not None:
            images.append(image)
        if note:
            notes.append(note)
    return images, notes


def _resolved(roots: list[Path]) -> list[Path]:
    """Return ``roots`` with symlinks resolved, leaving out unresolvable ones."""
    resolved = []
    for root in roots:
        try:
            resolved.append(Path(root).resolve())
        except (OSError, RuntimeError):
            continue
    return resolved


def _bases(data: dict[str, Any], roots: list[Path]) -> list[Path]:
    """Return the folders relative image references are tried against."""
    bases = list(roots)
    for key in ("base", "summary_file", "file"):
        value = data.get(key)
        if isinstance(value, str) and value:
            for root in roots:
                candidate = root / value
                bases.insert(0, candidate if key == "base" else candidate.parent)
    return bases


def _embed_one(
    ref: str, caption: str, bases: list[Path], roots: list[Path], count: int
) -> tuple[dict | None, str]:
    """Return ``({"src", "caption"}, "")`` for one reference, or ``(None, note)``."""
    if ref.startswith("data:image/") and ";base64," in ref:
        mime = ref[5 : ref.index(";")]
        if mime in ("image/png", "image/jpeg", "image/gif", "image/webp") and (
            len(ref) <= MAX_IMAGE_BYTES * 4 // 3 + 64
        ):
            return {"src": ref, "caption": caption}, ""
        return None, f"{caption}: embedded image of type {mime} left out"
    if "://" in ref or not ref.strip():
        return None, f"{caption}: {ref!r} is not a local image file"
    path = _locate(ref, bases, roots)
    if path is None:
        return None, f"{caption}: {ref!r} not found inside the submission"
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return None, f"{caption}: {ref!r} is {size} bytes, over the embed limit"
        blob = path.read_bytes()
    except OSError as exc:
        return None, f"{caption}: {ref!r} cannot be read ({exc.strerror})"
    mime = _sniff(blob)
    if not mime:
        return None, f"{caption}: {ref!r} is not a PNG, JPEG, GIF or WebP image"
    if count >= MAX_IMAGES:
        return None, f"{caption}: more than {MAX_IMAGES} images, left out"
    encoded = base64.b64encode(blob).decode("ascii")
    return {"src": f"data:{mime};base64,{encoded}", "caption": caption}, ""


def _locate(ref: str, bases: list[Path], roots: list[Path]) -> Path | None:
    """Return the resolved file for ``ref`` if it lies inside one of ``roots``."""
    candidates = [Path(ref)] if Path(ref).is_absolute() else [b / ref for b in bases]
    for candidate in candidates:
        try:
            path = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if not any(path.is_relative_to(root) for root in roots):
            continue
        if path.is_file():
            return path
    return None
