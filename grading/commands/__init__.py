"""Command-line verbs of ``python -m grading``.

Each module in this package is one verb. It defines ``NAME`` (the verb),
``HELP`` (one line for ``--help``), ``register(parser)`` that adds the verb's
arguments to its ``argparse`` sub-parser, and ``run(args) -> int`` that does the
work and returns the process exit code. ``grading.cli`` discovers the modules,
so adding a verb needs no change elsewhere.
"""
