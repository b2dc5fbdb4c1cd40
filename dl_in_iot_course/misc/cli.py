"""Command-line plumbing shared by the lab experiment scripts.

Each lab script declares its variants as a dictionary ``name -> factory`` and
calls :func:`main`; this module parses the common flags, finds the data set
and the model (the embedded default and the cached tiny model when none is
given), runs the chosen variants one after another and reports the ones that
failed without stopping the others.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from dl_in_iot_course.misc.utils import get_logger, model_size_table

# Callers that print the size table themselves (``python -m grading lab``)
# switch this off.
PRINT_SIZE_TABLE = True


def build_parser(
    prog: str,
    description: str,
    variants: Sequence[str],
    groups: Mapping[str, Sequence[str]],
) -> argparse.ArgumentParser:
    """Return the parser of a lab script with the flags every lab shares."""
    names = ", ".join(["all", *groups, *variants])
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=(
            "Without --dataset-root the embedded default data set is used "
            "(scikit-learn digits in the Oxford-IIIT Pet layout, no network "
            "needed); without --model-path a small CNN is trained on the data "
            "set in a few seconds and cached under build/embedded/."
        ),
    )
    parser.add_argument(
        "--model-path",
        type=Path,
        help="Keras model (.h5) to optimise; default: the cached tiny model",
    )
    parser.add_argument(
        "--dataset-root",
        type=Path,
        help="directory of the Oxford-IIIT Pet data set (images/, annotations/); "
        "default: the embedded data set",
    )
    parser.add_argument(
        "--download-dataset",
        action="store_true",
        help="download the Oxford-IIIT Pet data set into --dataset-root first",
    )
    parser.add_argument(
        "--results-path",
        type=Path,
        default=Path("build/results"),
        help="directory for the models, metrics and confusion matrices "
        "(default: build/results)",
    )
    parser.add_argument(
        "--test-dataset-fraction",
        type=float,
        default=1.0,
        help="fraction of the test images to evaluate, in (0, 1] (default: 1.0); "
        "say in your summary if you lowered it",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["all"],
        metavar="TASK",
        help=f"variants to run, one or more of: {names} (default: all)",
    )
    return parser


def expand_tasks(
    requested: Sequence[str],
    variants: Sequence[str],
    groups: Mapping[str, Sequence[str]],
) -> list[str]:
    """Expand ``all`` and group names into variant names, keeping their order.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    chosen: list[str] = []
    for name in requested:
        if name == "all":
            names = list(variants)
        elif name in groups:
            names = list(groups[name])
        elif name in variants:
            names = [name]
        else:
            valid = ", ".join(["all", *groups, *variants])
            raise ValueError(f"unknown task {name!r}; choose from: {valid}")
        chosen += [n for n in names if n not in chosen]
    return chosen


def load_inputs(args: argparse.Namespace):
    """Return ``(dataset, model_path)`` for the parsed flags.

    Falls back to the embedded data set and to the cached tiny model.
    """
    from dl_in_iot_course.misc import embedded
    from dl_in_iot_course.misc.pet_dataset import PetDataset

    log = get_logger()
    if args.dataset_root is None:
        if args.download_dataset:
            raise SystemExit(
                "error: --download-dataset needs --dataset-root (where to put it)"
            )
        root = embedded.embedded_dataset_root()
        log.info("no --dataset-root given: using the embedded data set in %s", root)
    else:
        root = args.dataset_root
    dataset = PetDataset(root, args.download_dataset)
    model_path = args.model_path
    if model_path is None:
        log.info(
            "no --model-path given: using a tiny CNN trained on %s "
            "(trained once, then cached)",
            root,
        )
        model_path = embedded.tiny_model_path(root, progress=False)
        log.info("tiny model: %s", model_path)
    elif not Path(model_path).is_file():
        raise SystemExit(
            f"error: model file {model_path} does not exist; check --model-path "
            f"or leave it out to use the tiny model"
        )
    return dataset, Path(model_path)


def run_tasks(
    tasks: Mapping[str, Callable[[], object]],
    selected: Sequence[str],
    results_path: Path,
    fraction: float,
) -> int:
    """Build and evaluate each selected variant; return the number that failed.

    A variant whose class is not implemented yet, or that raises, is reported
    and skipped; the others still run.
    """
    log = get_logger()
    failed = []
    for index, name in enumerate(selected, start=1):
        log.info("[%d/%d] %s", index, len(selected), name)
        start = time.perf_counter()
        try:
            tester = tasks[name]()
            results = tester.test_inference(results_path, name, fraction)
        except NotImplementedError as error:
            log.error("%s skipped: %s", name, error)
            failed.append(name)
            continue
        except Exception:  # report and go on with the next variant
            log.error("%s failed:\n%s", name, traceback.format_exc())
            failed.append(name)
            continue
        log.info(
            "%s: accuracy %.4f, %.2f ms per image, %.1f s",
            name,
            results["accuracy"],
            results["inference_time_ms"],
            time.perf_counter() - start,
        )
    table = model_size_table(results_path)
    (results_path / "model-sizes.md").write_text(table, encoding="utf-8")
    if PRINT_SIZE_TABLE:
        print(table)
    if failed:
        log.error(
            "%d of %d variants failed: %s",
            len(failed),
            len(selected),
            ", ".join(failed),
        )
    return len(failed)


def run_lab(
    argv: Sequence[str] | None,
    prog: str,
    description: str,
    make_tasks: Callable[[object, Path, Path, argparse.Namespace], Mapping],
    variants: Sequence[str],
    groups: Mapping[str, Sequence[str]],
) -> int:
    """Parse ``argv``, build the variants with ``make_tasks`` and run them.

    Returns
    -------
    int
        0 when every selected variant ran, 1 otherwise, 2 on usage errors.
    """
    parser = build_parser(prog, description, variants, groups)
    args = parser.parse_args(argv)
    try:
        selected = expand_tasks(args.tasks, variants, groups)
    except ValueError as error:
        parser.error(str(error))
    if not 0.0 < args.test_dataset_fraction <= 1.0:
        parser.error("--test-dataset-fraction must be in (0, 1]")
    from dl_in_iot_course.misc.pet_dataset import DatasetError

    try:
        dataset, model_path = load_inputs(args)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.results_path.mkdir(parents=True, exist_ok=True)
    tasks = make_tasks(dataset, model_path, args.results_path, args)
    return (
        1
        if run_tasks(tasks, selected, args.results_path, args.test_dataset_fraction)
        else 0
    )
