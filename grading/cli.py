"""Command-line interface: discovers the verbs.

Public verbs live in :mod:`grading.commands`; the instructor's verbs in
:mod:`grading.private.commands`, which released copies of the grader lack.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import grading

#: Packages whose modules are verbs; a missing one is skipped.
VERB_PACKAGES = ("grading.commands", "grading.private.commands")


def _verb_modules():
    """Return the verb modules of :data:`VERB_PACKAGES`, sorted by name."""
    modules = []
    for package_name in VERB_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and package_name.startswith(exc.name):
                continue
            raise
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package_name}.{info.name}")
            if hasattr(module, "NAME") and hasattr(module, "run"):
                modules.append(module)
    return sorted(modules, key=lambda m: m.NAME)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per verb.

    Returns
    -------
    argparse.ArgumentParser
        Parser whose parsed namespace carries the verb module in ``_module``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m grading",
        description=(
            "Grade lab submissions of the IoT model-compression course: hidden "
            "tests on the code, checks of the summary and of the git history, "
            "score reports and a gradebook."
        ),
        epilog="Run 'python -m grading VERB --help' for the options of one verb.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {grading.__version__}"
    )
    sub = parser.add_subparsers(title="verbs", metavar="VERB")
    for module in _verb_modules():
        verb = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.register(verb)
        verb.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the verb named on the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        Exit code: 0 on success, 2 on usage errors, other values per verb.

    Notes
    -----
    A verb module with ``PASS_THROUGH = True`` receives the options it does
    not know in ``args.passthrough`` (the batch passes them on to ``grade``)
    instead of a usage error.
    """
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    module = getattr(args, "_module", None)
    if unknown and not getattr(module, "PASS_THROUGH", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if module is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(module, "PASS_THROUGH", False):
        args.passthrough = unknown
    return int(module.run(args) or 0)
