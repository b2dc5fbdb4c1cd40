"""Reference solutions of the labs (instructor only), and the overlay.

Each reference file is a complete drop-in replacement of the student module
with the same path under ``dl_in_iot_course/``: the same code, with the TODO
methods implemented. Two ways to use them without editing student files:

- :func:`install` / :func:`using_reference` (in
  :mod:`grading.private.reference.overlay`, re-exported here): an import
  hook, so that importing the student module (``dl_in_iot_course.
  l03_pruning_clustering.pruning_clustering_experiments``) loads the
  reference file instead;
- :func:`reference_files`: the mapping ``student path -> reference path``, to
  copy the references over a working copy of the repository.

``python -m grading.private.reference LAB [ARGS...]`` runs a lab's experiments with
the reference solution.
"""

from __future__ import annotations

from grading.private.reference import overlay
from grading.private.reference.overlay import (
    LABS,
    install,
    reference_files,
    resolve_lab,
    uninstall,
    using_reference,
)

__all__ = [
    "LABS",
    "install",
    "overlay",
    "reference_files",
    "resolve_lab",
    "uninstall",
    "using_reference",
]
