"""``python -m grading lab``: run a lab's experiments and tabulate the models."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

NAME = "lab"
HELP = "run a lab's experiments (optionally with the reference solution)"
DESCRIPTION = """\
Run every variant of a lab (fine-tuning, conversion to TFLite, evaluation),
then write and print the size, ZIP size and deflation of every .tflite model.

Without --dataset-root the embedded default data set is used, and without
--model-path a tiny CNN trained on it in seconds (both cached under
build/embedded/), so this works offline on a fresh machine. --reference runs
the instructor's reference solution instead of the student files, without
changing them.

examples:
  python -m grading lab l03_pruning_clustering --reference
  python -m grading lab l03 --reference --tasks clustered-4-fp32 pruned-all
  python -m grading lab l02 --reference --results-path build/l02-results
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of the ``lab`` verb."""
    parser.add_argument(
        "lab", help="lab name: l02_quantization or l03_pruning_clustering (or l02, l03)"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="run the reference solution instead of the student stubs",
    )
    parser.add_argument(
        "--results-path",
        type=Path,
        help="output directory (default: build/results/<lab>)",
    )
    parser.add_argument(
        "--dataset-root", type=Path, help="Oxford-IIIT Pet data set root"
    )
    parser.add_argument(
        "--download-dataset", action="store_true", help="download the data set first"
    )
    parser.add_argument("--model-path", type=Path, help="Keras .h5 model to optimise")
    parser.add_argument(
        "--test-dataset-fraction",
        type=float,
        help="fraction of the test set, in (0, 1]",
    )
    parser.add_argument("--tasks", nargs="+", metavar="TASK", help="variants to run")


def experiment_argv(args: argparse.Namespace, results: Path) -> list[str]:
    """Translate the verb's options into the lab script's command line."""
    argv = ["--results-path", str(results)]
    if args.dataset_root is not None:
        argv += ["--dataset-root", str(args.dataset_root)]
    if args.download_dataset:
        argv.append("--download-dataset")
    if args.model_path is not None:
        argv += ["--model-path", str(args.model_path)]
    if args.test_dataset_fraction is not None:
        argv += ["--test-dataset-fraction", str(args.test_dataset_fraction)]
    if args.tasks:
        argv += ["--tasks", *args.tasks]
    return argv


def run(args: argparse.Namespace) -> int:
    """Run the lab script in this process and print the model size table."""
    import dl_in_iot_course  # noqa: F401  (Keras 2 before TensorFlow)
    from dl_in_iot_course.misc import cli
    from dl_in_iot_course.misc.utils import model_size_table
    from grading.private.reference import overlay

    try:
        lab = overlay.resolve_lab(args.lab)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results = args.results_path or Path("build") / "results" / lab
    module = overlay.LABS[lab][0].removesuffix(".py").replace("/", ".")
    module = f"dl_in_iot_course.{module}"
    argv = experiment_argv(args, results)
    who = "the reference solution" if args.reference else "the student code"
    print(f"lab {lab}: running {who} -> {results}", file=sys.stderr)
    cli.PRINT_SIZE_TABLE = False
    saved_argv = sys.argv
    sys.argv = [module, *argv]
    code = 0
    try:
        if args.reference:
            overlay.install(lab)
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:  # SystemExit("message")
            print(exit_.code, file=sys.stderr)
            code = 1
    except Exception as error:  # e.g. a syntax error in the student's module
        print(
            f"error: could not run {module}: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        code = 1
    finally:
        sys.argv = saved_argv
        cli.PRINT_SIZE_TABLE = True
        if args.reference:
            overlay.uninstall()
    if not results.is_dir():
        print(
            f"error: the lab produced no results directory {results}", file=sys.stderr
        )
        return code or 1
    table = model_size_table(results)
    (results / "model-sizes.md").write_text(table, encoding="utf-8")
    metrics = sorted(results.glob("*-metrics.md"))
    matrices = sorted(results.glob("*-confusion-matrix.png"))
    print(f"\nModels in {results} (also in {results / 'model-sizes.md'}):\n")
    print(table)
    print(
        f"{len(metrics)} metrics files, {len(matrices)} confusion matrices in {results}"
    )
    return code
