"""Gitignore-style patterns for the junk rules of the history check.

Three shapes are enough for the rubric's lists:

- ``name/`` (trailing slash): a folder of that name anywhere in the path,
  e.g. ``__pycache__/`` or ``build/``; a slash inside (``build/results/``)
  anchors it at the top of the repository.
- ``*.tflite`` or ``.DS_Store`` (no slash): matched against the file name.
- ``results/*.md`` or ``**/*.png`` (a slash inside, no trailing slash):
  matched against the whole path; ``*`` stays within a folder, ``**`` spans
  folders. Without wildcards (``build/results``) it names a file or a folder.
"""

from __future__ import annotations

import fnmatch

from grading.util.globs import glob_regex


def match(pattern: str, path: str) -> str | None:
    """Return the part of ``path`` that ``pattern`` matches, or None.

    Parameters
    ----------
    pattern : str
        A pattern of one of the shapes described in the module docstring.
    path : str
        A ``/``-separated path relative to the repository top.

    Returns
    -------
    str or None
        For folder patterns the matched folder with a trailing slash
        (``"src/__pycache__/"``), otherwise the path itself.
    """
    pattern = pattern.strip().lstrip("/")
    if not pattern:
        return None
    parts = path.split("/")
    if pattern.endswith("/"):
        body = pattern.rstrip("/")
        if "/" in body:
            prefix = body + "/"
            return prefix if path.startswith(prefix) else None
        for depth, part in enumerate(parts[:-1]):
            if fnmatch.fnmatchcase(part, body):
                return "/".join(parts[: depth + 1]) + "/"
        return None
    if "/" not in pattern:
        return path if fnmatch.fnmatchcase(parts[-1], pattern) else None
    if not any(c in pattern for c in "*?["):
        # A plain path: that file, or everything under that folder.
        if path == pattern:
            return path
        return pattern + "/" if path.startswith(pattern + "/") else None
    return path if glob_regex(pattern).match(path) else None
