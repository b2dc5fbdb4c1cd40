"""``import ai_edge_torch`` for the course, served by its successor ``litert_torch``.

The course README and the students' code convert a PyTorch model to TFLite
with ``ai_edge_torch.convert(model, sample_args).export(path)``. Google
renamed the project to ``litert-torch``: ``ai-edge-torch`` 0.7.1 needs torch
older than 2.10 and 0.7.2 is an empty package that only warns. This module
keeps the old name working with ``litert-torch`` (installed with part 2's
packages, ``requirements-structured.txt``): every public name of
``litert_torch`` is available here, ``convert`` included.

When ``litert_torch`` is missing, importing this module still works, and
``convert`` raises an error that says what to install.
"""

from __future__ import annotations

try:
    import litert_torch as _backend
    from litert_torch import *  # noqa: F403 - the whole public API, renamed
    from litert_torch import convert  # noqa: F401 - the course's entry point

    __version__ = getattr(_backend, "__version__", "")
    BACKEND = "litert_torch"
except ImportError as _error:  # the optional install is missing
    _missing = _error
    BACKEND = ""
    __version__ = ""

    def convert(*args, **kwargs):
        """Stand-in that explains what is missing."""
        raise ImportError(
            "ai_edge_torch.convert needs the package litert-torch, which is not "
            f"installed ({_missing}). Install the structured-pruning part of the "
            "course: pip install --index-url https://download.pytorch.org/whl/cpu "
            "torch==2.13.0, then pip install -r requirements-structured.txt (see "
            "dl_in_iot_course/l03_pruning_clustering/README.md)."
        ) from _missing
