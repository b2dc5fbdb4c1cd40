"""Run a lab's experiments with the reference solution.

Usage: ``python -m grading.private.reference LAB [EXPERIMENT ARGS...]``, e.g.
``python -m grading.private.reference l03 --results-path build/reference-results``.
"""

from __future__ import annotations

import importlib
import sys

import dl_in_iot_course  # noqa: F401  (Keras 2 before TensorFlow)
from grading.private.reference.overlay import LABS, install, resolve_lab


def main(argv: list[str] | None = None) -> int:
    """Install the overlay for the lab and call the lab script's ``main``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print(f"Labs: {', '.join(LABS)}")
        return 0 if argv else 2
    try:
        lab = resolve_lab(argv[0])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    install(lab)
    module = LABS[lab][0].removesuffix(".py").replace("/", ".")
    experiments = importlib.import_module(f"dl_in_iot_course.{module}")
    return experiments.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
