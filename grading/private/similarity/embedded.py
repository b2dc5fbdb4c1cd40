"""What the seeded embedded default gives everyone, stored once as data.

Students who run a lab offline (no ``--dataset-root``) all train and test on
the same embedded data with the same seeds, so two honest summaries can
hold the same metrics to six digits. Those values are not evidence. They
are recognised by running the reference solution on the default:

    python -m grading.private.similarity.embedded --runs 3

runs ``python -m grading lab LAB --reference`` that many times, each with a
tiny CNN trained afresh in a cache of its own (TensorFlow on several
threads is not bit-for-bit repeatable, so a few runs catch the values that
wobble, in training as in fine-tuning), reads the results with the summary
reader (the same reading as a student's summary), and writes
``data/<lab>.embedded-default.json``: the values by kind and by variant,
the test-set sizes, the perceptual hashes of the confusion matrices and the
ids of the model files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grading.pipeline.rubric import default_lab
from grading.private.similarity import images as image_hashes
from grading.private.similarity.settings import Settings, from_rubric
from grading.private.similarity.sources import blob_id
from grading.private.similarity.summary_data import Value, canonical, read_summary
from grading.util.io import read_json, write_json
from grading.util.paths import REPO_ROOT

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Kinds measured on the student's machine: the default's runs do not give them.
MEASURED = frozenset({"inference_ms"})


def default_file(lab: str, data_dir: Path | None = None) -> Path:
    """Return the stored embedded-default data of ``lab``."""
    return (data_dir or DATA_DIR) / f"{lab}.embedded-default.json"


@dataclass
class Defaults:
    """The embedded default's values, images and model files.

    Parameters
    ----------
    values : dict
        Kind -> the values the reference runs gave.
    images : numpy.ndarray
        ``(n, bits)`` perceptual hashes of their confusion matrices.
    artifacts : set of str
        Content ids of their model files.
    variants : dict
        Variant -> kind -> the values the runs gave for that variant.
    samples : set of float
        Test-set sizes of the runs (120 images for the embedded default).
    """

    values: dict[str, list[float]] = field(default_factory=dict)
    images: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    artifacts: set[str] = field(default_factory=set)
    variants: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    samples: set[float] = field(default_factory=set)

    def has_value(self, kind: str, value: float, digits: int) -> bool:
        """True if a default value of ``kind`` reads as ``value`` at ``digits``."""
        shown = f"{value:.{digits}g}"
        return any(f"{d:.{digits}g}" == shown for d in self.values.get(kind, ()))

    def explains(self, value: Value, samples: list[float], margin: float) -> bool:
        """True if the embedded default accounts for ``value`` of a summary.

        Either a stored value reads as ``value`` at its precision, or
        ``value`` lies within the stored runs' spread for its variant and
        kind: a run that wobbled between two stored ones. When the summary
        reports the default's test-set size (an offline run), the spread is
        widened by ``margin`` (a share of the stored values) for the runs
        that fell just outside it; a summary reporting another test-set size ran on
        another data set and gets the first rule only. Times measured on a
        machine (:data:`MEASURED`) are not results of the default.
        """
        if self.has_value(value.kind, value.value, value.digits):
            return True
        if value.kind in MEASURED:
            return False
        runs = self.variants.get(value.variant, {}).get(value.kind)
        stated = {float(n) for n in samples}
        if not runs or not stated <= self.samples:
            return False
        low, high = min(runs), max(runs)
        slack = 0.5 * 10 ** (
            math.floor(math.log10(abs(value.value) or 1)) - value.digits + 1
        )
        if stated:
            slack += margin * max(abs(low), abs(high))
        return low - slack <= value.value <= high + slack


def _numbers(raw) -> list[float]:
    """Return the numbers of a JSON list (nothing for anything else)."""
    if not isinstance(raw, list):
        return []
    return [float(v) for v in raw if isinstance(v, int | float)]


def _numbers_by_kind(raw) -> dict[str, list[float]]:
    """Return ``{kind: [numbers]}`` of a JSON table (empty for anything else)."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): _numbers(vs) for k, vs in raw.items() if isinstance(vs, list)}


def load(
    lab: str, settings: Settings, data_dir: Path | None = None
) -> tuple[Defaults, list[str]]:
    """Return the stored defaults of ``lab`` and warnings (empty when fine)."""
    path = default_file(lab, data_dir)
    if not path.is_file():
        return Defaults(), [
            f"no embedded-default values for {lab} ({path.name}): identical values "
            "of offline runs are not recognised; run "
            "python -m grading.private.similarity.embedded"
        ]
    data, error = read_json(path)
    if not isinstance(data, dict):
        return Defaults(), [f"{path.name} is unreadable ({error})"]
    variants = data.get("variants")
    variants = variants if isinstance(variants, dict) else {}
    result = Defaults(
        values=_numbers_by_kind(data.get("values")),
        artifacts={str(a) for a in data.get("artifacts") or []},
        variants={
            str(variant): _numbers_by_kind(kinds) for variant, kinds in variants.items()
        },
        samples={float(n) for n in _numbers(data.get("samples"))},
    )
    warnings = []
    same_recipe = data.get("image_hash") == image_hashes.HASH_RECIPE
    if data.get("image_hash_size") == settings.image_hash_size and same_recipe:
        bits = [
            image_hashes.from_hex(str(h), settings.image_hash_size)
            for h in data.get("images") or []
        ]
        bits = [b for b in bits if b is not None]
        if bits:
            result.images = np.stack(bits)
    else:
        warnings.append(
            f"{path.name} has image hashes of size {data.get('image_hash_size')} "
            f"made by {data.get('image_hash')!r}; the rubric asks "
            f"{settings.image_hash_size} by {image_hashes.HASH_RECIPE!r}: run "
            "python -m grading.private.similarity.embedded again"
        )
    return result, warnings


# ---------------------------------------------------------------------------
# Generating the data
# ---------------------------------------------------------------------------


def as_submission(results: Path, root: Path, summary_dir: str) -> None:
    """Lay out a lab run's results folder as a submission with a summary."""
    folder = root / summary_dir
    (folder / "img").mkdir(parents=True, exist_ok=True)
    parts = []
    for metrics in sorted(results.glob("*-metrics.md")):
        variant = metrics.name.removesuffix("-metrics.md")
        parts.append(metrics.read_text(encoding="utf-8").strip())
        image = results / f"{variant}-confusion-matrix.png"
        if image.is_file():
            shutil.copy(image, folder / "img" / image.name)
            parts.append(f"![confusion matrix of {variant}](img/{image.name})")
    sizes = results / "model-sizes.md"
    if sizes.is_file():
        parts.append("# ZIP deflation\n\n" + sizes.read_text(encoding="utf-8").strip())
    (folder / "summary.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def read_run(results: Path, rubric, settings: Settings) -> dict:
    """Return the values, image hashes and model ids of one results folder."""
    with tempfile.TemporaryDirectory(prefix="embedded-") as scratch:
        root = Path(scratch)
        as_submission(results, root, rubric.summary_dir)
        summary = read_summary(root, rubric)
    values: dict[str, set[str]] = {}
    variants: dict[str, dict[str, set[str]]] = {}
    for value in summary.values:
        values.setdefault(value.kind, set()).add(canonical(value.value))
        kinds = variants.setdefault(value.variant, {})
        kinds.setdefault(value.kind, set()).add(canonical(value.value))
    hashes = []
    for image in sorted(results.glob("*-confusion-matrix.png")):
        bits = image_hashes.phash_bits(image.read_bytes(), settings.image_hash_size)
        if bits is not None:
            hashes.append(image_hashes.to_hex(bits))
    models = {blob_id(p.read_bytes()) for p in sorted(results.glob("*.tflite"))}
    return {
        "values": values,
        "variants": variants,
        "samples": {canonical(n) for n in summary.samples},
        "images": hashes,
        "artifacts": models,
    }


def build(lab: str, runs: int, keep: Path | None = None) -> dict:
    """Run the reference ``runs`` times on the default and return the data.

    Each run gets a cache of its own (``DL_IN_IOT_CACHE``), so the tiny CNN
    is trained again every time: a student's machine trains its own, and
    lab 02 has no other source of variation.
    """
    from grading.pipeline.rubric import load_rubric

    rubric = load_rubric(lab)
    scratch = Path(tempfile.mkdtemp(prefix="embedded-runs-"))
    try:
        folders = []
        for run in range(runs):
            results = (keep or scratch) / f"run-{run + 1}"
            print(
                f"run {run + 1}/{runs}: python -m grading lab {lab} --reference",
                file=sys.stderr,
                flush=True,
            )
            cache = scratch / f"cache-{run + 1}"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "grading",
                    "lab",
                    lab,
                    "--reference",
                    "--results-path",
                    str(results),
                ],
                cwd=REPO_ROOT,
                env={**os.environ, "DL_IN_IOT_CACHE": str(cache)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            folders.append(results)
        return build_from(folders, rubric, from_rubric(rubric))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Write ``data/<lab>.embedded-default.json``."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.private.similarity.embedded",
        description="Run the reference solution on the embedded default data and "
        "store what it gives everyone (values, image hashes, model ids).",
    )
    parser.add_argument("--lab", default=default_lab())
    parser.add_argument(
        "--runs", type=int, default=3, help="reference runs (default 3)"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the runs' results in this folder"
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="read existing results folders instead of running",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from grading.pipeline.rubric import load_rubric

    rubric = load_rubric(args.lab)
    if args.from_results:
        settings = from_rubric(rubric)
        data = build_from(args.from_results, rubric, settings)
    else:
        data = build(rubric.lab, max(1, args.runs), args.keep)
    out = args.out or default_file(rubric.lab)
    write_json(out, data)
    counts = ", ".join(f"{k} {len(v)}" for k, v in data["values"].items())
    print(
        f"{out}: {counts}; {len(data['images'])} images, "
        f"{len(data['artifacts'])} model files"
    )
    return 0


def build_from(folders: list[Path], rubric, settings: Settings) -> dict:
    """Return the data of results folders written by earlier reference runs."""
    values: dict[str, set[str]] = {}
    variants: dict[str, dict[str, set[str]]] = {}
    samples: set[str] = set()
    images: list[str] = []
    artifacts: set[str] = set()
    for folder in folders:
        found = read_run(folder, rubric, settings)
        for kind, texts in found["values"].items():
            values.setdefault(kind, set()).update(texts)
        for variant, kinds in found["variants"].items():
            for kind, texts in kinds.items():
                variants.setdefault(variant, {}).setdefault(kind, set()).update(texts)
        samples |= found["samples"]
        images += [h for h in found["images"] if h not in images]
        artifacts |= found["artifacts"]
    return {
        "schema": 2,
        "about": "values, confusion-matrix hashes and model ids of the reference "
        "solution on the embedded default data; see embedded.py",
        "lab": rubric.lab,
        "generated_at": dt.date.today().isoformat(),
        "runs": len(folders),
        "command": f"python -m grading lab {rubric.lab} --reference",
        "values": _sorted_numbers(values),
        "variants": {v: _sorted_numbers(k) for v, k in sorted(variants.items())},
        "samples": sorted(float(n) for n in samples),
        "image_hash_size": settings.image_hash_size,
        "image_hash": image_hashes.HASH_RECIPE,
        "images": images,
        "artifacts": sorted(artifacts),
    }


def _sorted_numbers(texts: dict[str, set[str]]) -> dict[str, list[float]]:
    return {k: sorted(float(v) for v in vs) for k, vs in sorted(texts.items())}


if __name__ == "__main__":
    sys.exit(main())
