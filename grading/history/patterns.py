"""Gitignore-style patterns for the junk rules of the history check.

Three shapes are enough for the rubric's lists:

- ``name/`` (trailing slash): a folder of that name anywhere in the path,
  e.g. ``__pycache__/`` or ``build/``; a slash inside (``build/results/``)
  anchors it at the top of the repository.
- ``*.tflite`` or ``.DS_Store`` (no slash): matched against the file name.
- ``results/*.md`` or ``**/*.png`` (a slash inside, no trailing slash):
  matched against the whole path; ``*`` stays within a folder, ``**`` spans
  folders. Without wildcards (``build/results``) it names a file or a folder.

A repository may add tens of thousands of paths, so :class:`Matcher`
compiles a list of patterns once and matches each path against all of them
with a few dictionary and regex look-ups (:func:`match` is the one-off form).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from grading.util.globs import glob_regex

_WILD = re.compile(r"[*?\[]")
Test = Callable[[str, list[str]], "str | None"]


def _compile(pattern: str) -> Test | None:
    """Return ``test(path, parts) -> matched part or None`` for one pattern."""
    pattern = pattern.strip().lstrip("/")
    if not pattern:
        return None
    if pattern.endswith("/"):
        body = pattern.rstrip("/")
        if "/" in body:
            prefix = body + "/"
            return lambda path, parts: prefix if path.startswith(prefix) else None
        name = re.compile(fnmatch.translate(body))

        def folder(path: str, parts: list[str]) -> str | None:
            for depth, part in enumerate(parts[:-1]):
                if name.match(part):
                    return "/".join(parts[: depth + 1]) + "/"
            return None

        return folder
    if "/" not in pattern:
        if not _WILD.search(pattern):
            return lambda path, parts: path if parts[-1] == pattern else None
        base = re.compile(fnmatch.translate(pattern))
        return lambda path, parts: path if base.match(parts[-1]) else None
    if not _WILD.search(pattern):
        # A plain path: that file, or everything under that folder.
        under = pattern + "/"
        return lambda path, parts: (
            path if path == pattern else (under if path.startswith(under) else None)
        )
    whole = glob_regex(pattern)
    return lambda path, parts: path if whole.match(path) else None


class Matcher:
    """A list of patterns compiled once.

    Parameters
    ----------
    patterns : list of str
        Patterns of the shapes described in the module docstring; empty or
        blank ones never match.
    """

    def __init__(self, patterns: list[str]):
        self._tests = [_compile(p) for p in patterns]

    def first(self, path: str) -> tuple[int, str] | None:
        """Return ``(index, matched part)`` of the first pattern that matches."""
        parts = path.split("/")
        for index, test in enumerate(self._tests):
            if test is not None:
                where = test(path, parts)
                if where is not None:
                    return index, where
        return None


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
    found = Matcher([pattern]).first(path)
    return None if found is None else found[1]
