"""Similarity across a class: which submissions to read side by side.

Instructor only. Every submission of a lab gets one fingerprint (code,
summary numbers and answers, images, model files; see
:mod:`~grading.private.similarity.fingerprint`), computed once and in
parallel; then every pair is compared on the fingerprints
(:mod:`~grading.private.similarity.compare`) and ``similarity.json`` is
written into the grades folder, highest score first::

    {"schema": 1, "lab": ..., "submissions": N, "pairs": [
        {"a": "alice", "b": "bob", "score": 0.93, "flagged": true,
         "signals": {"code": 1.0, "numbers": 0.0, ...},
         "evidence": [{"signal": "code", "score": 1.0, "summary": "...",
                       "details": [...]}]}],
     "reference": [{"student": ..., "score": ..., "flagged": ..., "evidence": [...]}],
     "students": [...], "warnings": [...], "settings": {...}}

Public API (imported on first use, so that the class page, which reads only
``similarity.json`` through :mod:`~grading.private.similarity.view`, does not
load the fingerprinting libraries): :func:`detect`, :func:`write`,
:func:`run_for_batch`, :func:`default_jobs`, :class:`SourceError`,
:data:`SIMILARITY_JSON`.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "detect": "run",
    "write": "run",
    "run_for_batch": "run",
    "default_jobs": "run",
    "fingerprints": "run",
    "SourceError": "sources",
    "SIMILARITY_JSON": "view",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
