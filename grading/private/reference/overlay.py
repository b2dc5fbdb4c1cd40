"""Import hook that swaps student lab modules for the reference solutions."""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# lab -> student module paths (relative to the repository root) that have a
# reference file at the same relative place under grading/private/reference/.
LABS: dict[str, tuple[str, ...]] = {
    "l02_quantization": ("l02_quantization/quantization_experiments.py",),
    "l03_pruning_clustering": (
        "l03_pruning_clustering/pruning_clustering_experiments.py",
        "l03_pruning_clustering/structured_pruning_experiments.py",
    ),
}


def resolve_lab(lab: str) -> str:
    """Return the full lab name for ``lab`` (``l03``, ``03`` and ``3`` work too).

    Raises
    ------
    ValueError
        When no lab or more than one lab matches.
    """
    if lab in LABS:
        return lab
    wanted = lab.lower().lstrip("l").lstrip("0")
    matches = [name for name in LABS if name[1:].split("_")[0].lstrip("0") == wanted]
    if len(matches) != 1:
        raise ValueError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
    return matches[0]


def reference_files(lab: str) -> dict[str, Path]:
    """Map each student file of ``lab`` to its reference file.

    Returns
    -------
    dict
        ``{"dl_in_iot_course/<lab>/<module>.py": <absolute path of
        grading/private/reference/<lab>/<module>.py>}``; keys are POSIX paths relative
        to the repository root.
    """
    lab = resolve_lab(lab)
    return {f"dl_in_iot_course/{rel}": HERE / rel for rel in LABS[lab]}


def _module_names(lab: str) -> dict[str, Path]:
    out = {}
    for student, reference in reference_files(lab).items():
        name = student.removesuffix(".py").replace("/", ".")
        out[name] = reference
    return out


class _ReferenceFinder(importlib.abc.MetaPathFinder):
    """Finds the reference file for the student module names it knows."""

    def __init__(self, modules: dict[str, Path]):
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        reference = self.modules.get(fullname)
        if reference is None:
            return None
        return importlib.util.spec_from_file_location(fullname, reference)


_finder: _ReferenceFinder | None = None


def install(*labs: str) -> list[str]:
    """Make the student modules of ``labs`` (all labs by default) load the references.

    Modules already imported are dropped from ``sys.modules`` so that the next
    import gets the reference. Calling it again adds labs.

    Returns
    -------
    list of str
        The module names now served by the reference files.
    """
    global _finder
    modules: dict[str, Path] = {}
    for lab in labs or tuple(LABS):
        modules.update(_module_names(lab))
    if _finder is None:
        _finder = _ReferenceFinder({})
        sys.meta_path.insert(0, _finder)
    _finder.modules.update(modules)
    for name in modules:
        sys.modules.pop(name, None)
    return sorted(_finder.modules)


def uninstall() -> None:
    """Remove the hook and forget the reference modules already imported."""
    global _finder
    if _finder is None:
        return
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_finder)
    for name in _finder.modules:
        sys.modules.pop(name, None)
    _finder = None


@contextlib.contextmanager
def using_reference(*labs: str):
    """Context manager form of :func:`install`; undoes it on exit.

    Examples
    --------
    >>> with using_reference("l03_pruning_clustering"):
    ...     from dl_in_iot_course.l03_pruning_clustering import (
    ...         pruning_clustering_experiments as lab)
    """
    install(*labs)
    try:
        yield
    finally:
        uninstall()
