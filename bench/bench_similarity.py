"""Benchmark of the similarity step: 50 and 200 synthetic submissions.

Builds a batch's grades folder (``submission.json``, ``results.json`` and an
instructor report per student) over git clones of synthetic submissions:
each lab module mixes the method implementations of the test corpus
(``tests/similarity/fixtures/code``) with a helper of its own, each summary
has its own Pet-like numbers, four answers assembled from phrase banks and
eight confusion matrices of the size the course's ``draw_confusion_matrix``
writes for 37 classes (about 1800 x 1750 pixels; ``--cell`` changes it);
one student in ten commits model files. Then it runs the step exactly as
``batch`` does at its end (:func:`grading.private.similarity.run_for_batch`:
fingerprints, comparison, ``similarity.json``, the class page) and prints
the wall time, the CPU time and the split, once from scratch ("cold") and
once more with the fingerprints the first run cached, as a resumed batch
(``--only``) would.

Target: at most 60 s for 200 submissions on 2 cores. The classes are cached
under ``build/bench-similarity/`` (``--rebuild`` makes them again).

    .venv/bin/python bench/bench_similarity.py               # 50 and 200
    .venv/bin/python bench/bench_similarity.py --counts 20   # a quick look
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import resource
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.util.io import write_json  # noqa: E402
from tests.similarity import class_builder as cb  # noqa: E402
from tests.similarity import code_builder  # noqa: E402

LAB = "l03_pruning_clustering"
NAMES = ("ada", "bo", "cy", "di", "ed", "fay", "gus", "hal", "kim", "lea", "max", "noa")
SUBJECTS = [
    "clustering",
    "pruning",
    "quantization",
    "the int8 model",
    "the fp32 model",
    "clustered-2",
    "clustered-32",
    "pruned-0.5",
    "the zip archive",
    "the tflite file",
    "the baseline",
    "my best variant",
    "deflation",
]
VERBS = [
    "keeps",
    "loses",
    "reaches",
    "shrinks to",
    "runs at",
    "compresses to",
    "stays near",
    "drops below",
    "matches",
    "beats",
    "trails",
    "doubles",
]
OBJECTS = [
    "the accuracy of the baseline",
    "a point of accuracy",
    "its original size",
    "the same latency",
    "a few megabytes",
    "the smallest archive",
    "the int8 speed",
    "ninety percent deflation",
    "the float32 kernels",
    "the validation accuracy",
    "half of its weights",
    "the fastest inference",
]


@functools.cache
def _donors() -> dict[str, dict[str, str]]:
    return {
        name: code_builder.sections(
            (code_builder.CODE_DIR / f"{name}.txt").read_text(encoding="utf-8")
        )
        for name in NAMES
    }


def _module(rng: random.Random, index: int) -> str:
    parts: dict[str, str] = {}
    donors = _donors()
    methods = sorted({m for d in donors.values() for m in d if not m.startswith("<")})
    chosen = set()
    for method in methods:
        if method.endswith("+"):
            continue
        donor = rng.choice([n for n in NAMES if method in donors[n]])
        parts[method] = donors[donor][method]
        chosen.add(donor)
    tops = [donors[d].get("<top>", "") for d in sorted(chosen)]
    extras = [
        donors[d][m] for d in sorted(chosen) for m in donors[d] if m.endswith("+")
    ]
    helper = "\n".join(
        f"    step_{index}_{i} = float({rng.random():.6f}) * len(str(path)) + {i}"
        for i in range(rng.randint(4, 12))
    )
    parts["<top>"] = "\n".join(tops) + f"\n\ndef helper_{index}(path):\n{helper}\n"
    if extras:
        parts["TFMOTOptimizedModel.compress_and_fine_tune+"] = "\n".join(extras)
    return code_builder.fill_stub(parts)


def _answers(rng: random.Random) -> dict[str, str]:
    """Four answers of 30-60 words, made of random sentences."""
    out = {}
    for question in ("q1", "q2", "q3", "q4"):
        sentences = [
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"({rng.uniform(0, 100):.1f} %)"
            for _ in range(rng.randint(5, 9))
        ]
        out[question] = ". ".join(sentences).capitalize() + "."
    return out


def build(root: Path, count: int, cell: int) -> Path:
    """Write ``count`` clones and a grades folder; return the grades folder."""
    grades = root / "grades"
    for index in range(count):
        name = f"s{index:03d}"
        rng = random.Random(index)
        run = cb.pet_run(1000 + index)
        images = {v: cb.draw_matrix(run.counts[v], name, cell) for v in cb.VARIANTS}
        files = {}
        if index % 10 == 0:
            files = {f"models/{v}.tflite": rng.randbytes(30_000) for v in cb.VARIANTS}
        student = cb.Student(
            name,
            _module(rng, index),
            run,
            _answers(rng),
            style=rng.choice(["tables", "bullets", "percent"]),
            images=images,
            files=files,
        )
        clone = cb.write_submission(root / "clones" / name, student)
        write_json(
            grades / name / "submission.json",
            {
                "student": name,
                "source": str(clone),
                "commit": cb.git(clone, "rev-parse", "HEAD").strip(),
            },
        )
        write_json(
            grades / name / "results.json",
            {
                "schema": 1,
                "lab": LAB,
                "student": name,
                "status": "graded",
                "score": 10.0,
                "max_score": 18.0,
                "items": [],
                "unassigned": [],
            },
        )
        (grades / name / "report-instructor.html").write_text("<p>report</p>")
        if index % 25 == 0:
            print(f"  built {index + 1}/{count}", file=sys.stderr, flush=True)
    (root / "complete").write_text("ok")
    return grades


def _cpu() -> float:
    usage = [
        resource.getrusage(who)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    ]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--cell",
        type=int,
        default=44,
        help="pixels per confusion-matrix cell (44: about 1800 px)",
    )
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    from grading.private.similarity import run_for_batch
    from grading.private.similarity.cache import CACHE_DIR

    rows = []
    for count in args.counts:
        root = REPO / "build" / "bench-similarity" / f"n{count}-cell{args.cell}"
        if args.rebuild or not (root / "complete").is_file():
            shutil.rmtree(root, ignore_errors=True)
            print(f"building {count} submissions in {root}", file=sys.stderr)
            build(root, count, args.cell)
        grades = root / "grades"
        shutil.rmtree(grades / CACHE_DIR, ignore_errors=True)
        for run in ("cold", "cached"):
            cpu, start = _cpu(), time.monotonic()
            path = run_for_batch(grades, lab=LAB, jobs=args.jobs, progress=False)
            wall, used = time.monotonic() - start, _cpu() - cpu
            data = json.loads(path.read_text(encoding="utf-8"))
            rows.append((count, run, wall, used, data))
    print(
        f"\nsimilarity step ({args.jobs} jobs, images {args.cell * 37 + 160} px wide)"
    )
    print(
        "| submissions | pairs | run | wall s | CPU s | fingerprints s | compare s "
        "| flagged |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for count, run, wall, used, data in rows:
        seconds = data["seconds"]
        print(
            f"| {count} | {data['pairs_compared']} | {run} | {wall:.1f} | {used:.1f} "
            f"| {seconds['fingerprints']:.1f} | {seconds['compare']:.1f} "
            f"| {data['flagged']} |"
        )
    print("\ntarget: 200 submissions in at most 60 s on 2 cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
