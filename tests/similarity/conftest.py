"""The synthetic class of the similarity tests, built once per session.

Who is who (what each one copied is in ``fixtures/expected.toml``, decided
before the detector was run):

- honest, each with code, numbers, images and answers of their own: ada,
  bo, cy, di, ed, fay, kim's code, lea's code, max's code, noa's code;
- gus and hal: honest, both ran the embedded default, so they report its
  values and its confusion matrices;
- copies of one kind each: ivo (bo's code, renamed), jan (cy's code,
  reordered and commented), kim (di's numbers, reworded summary), lea (ed's
  images, re-saved), max (fay's answers, lightly edited), noa (ada's model
  files), oli (the reference solution, renamed).
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from grading.private.similarity import boilerplate, embedded
from grading.private.similarity.settings import from_rubric

from . import class_builder as cb
from . import code_builder

LAB = "l03_pruning_clustering"
EXPECTED = tomllib.loads((cb.FIXTURES / "expected.toml").read_text(encoding="utf-8"))

BO_RENAMES = {
    "runner": "lite",
    "in_slot": "input_idx",
    "in_type": "input_kind",
    "out_slot": "output_idx",
    "save_as_tflite": "store_tflite",
    "keras_model": "net",
    "destination": "target",
    "payload": "blob",
    "handle": "fh",
    "base": "original",
    "wrapped": "compressed",
    "init": "centroids",
    "history": "log",
    "size": "written",
    "steps": "callbacks_list",
    "batch": "array",
    "inputs": "ins",
    "outputs": "outs",
    "converter": "conv",
}
REFERENCE_RENAMES = {
    "interpreter": "engine",
    "input_details": "inp",
    "output_details": "outp",
    "model": "net",
    "layer": "lyr",
    "clustered": "wrapped",
    "CentroidInitialization": "Init",
    "stripped": "final",
    "converter": "conv",
    "tflite_model": "flat",
    "modelfile": "fh",
    "pruned": "sparse",
}


def model_files(seed: int) -> dict[str, bytes]:
    """Eight fake .tflite files with the bytes of one student's run."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return {f"models/{v}.tflite": b"TFL3" + rng.bytes(20_000) for v in cb.VARIANTS}


#: Summary layout and question headings of each student.
LAYOUT = {
    "ada": ("tables", "plain"),
    "bo": ("bullets", "plain"),
    "cy": ("percent", "plain"),
    "di": ("tables", "plain"),
    "ed": ("tables", "polish"),
    "fay": ("bullets", "reworded"),
    "gus": ("tables", "plain"),
    "hal": ("bullets", "polish"),
    "ivo": ("tables", "plain"),
    "jan": ("bullets", "plain"),
    "kim": ("bullets", "reworded"),
    "lea": ("tables", "plain"),
    "max": ("percent", "plain"),
    "noa": ("tables", "plain"),
    "oli": ("tables", "reworded"),
}
#: Students with code of their own (fixtures/code/<name>.txt).
OWN_CODE = (
    "ada",
    "bo",
    "cy",
    "di",
    "ed",
    "fay",
    "gus",
    "hal",
    "kim",
    "lea",
    "max",
    "noa",
)


def build_students() -> list[cb.Student]:
    """Return the fifteen students of the class (see the module docstring)."""
    texts = cb.answers()
    code = {n: code_builder.student_module(n) for n in OWN_CODE}
    code["ivo"] = code_builder.rename_identifiers(code["bo"], BO_RENAMES)
    code["jan"] = code_builder.add_comments(code_builder.reorder_methods(code["cy"]))
    code["oli"] = code_builder.rename_identifiers(
        code_builder.REFERENCE.read_text(encoding="utf-8"), REFERENCE_RENAMES
    )
    runs = {n: cb.pet_run(seed) for seed, n in enumerate(sorted(LAYOUT), start=11)}
    default = cb.default_run()
    runs["gus"] = runs["hal"] = default  # both ran the embedded default
    images = {n: cb.images_of(runs[n], n) for n in LAYOUT if n not in ("gus", "hal")}
    images["gus"] = images["hal"] = cb.images_of(default, "default")
    runs["kim"] = runs["di"]  # kim keeps di's numbers, not di's images
    images["lea"] = {v: cb.resave(png, 0.9, "JPEG") for v, png in images["ed"].items()}
    students = []
    for name, (style, headings) in LAYOUT.items():
        students.append(
            cb.Student(
                name,
                code[name],
                runs[name],
                texts[name],
                style=style,
                headings=headings,
                images=images[name],
                image_ext=".jpg" if name == "lea" else ".png",
            )
        )
    by_name = {s.name: s for s in students}
    by_name["ada"].files = model_files(1)
    by_name["bo"].files = model_files(2)
    by_name["noa"].files = {  # ada's model files under other names
        f"results/noa-{Path(p).name}": data for p, data in model_files(1).items()
    }
    return students


@dataclass
class SyntheticClass:
    """The built class: a folder of clones and the data folder to use."""

    clones: Path
    data_dir: Path
    students: dict[str, cb.Student]


@pytest.fixture(scope="session")
def synthetic_class(tmp_path_factory) -> SyntheticClass:
    """Build the class once: fifteen git clones and its own data folder.

    The data folder holds the stored fingerprints of the original course and
    an embedded-default file made from the simulated reference run with
    :func:`grading.private.similarity.embedded.build_from`.
    """
    root = tmp_path_factory.mktemp("similarity-class")
    students = build_students()
    for student in students:
        cb.write_submission(root / "clones" / student.name, student)
    data = root / "data"
    data.mkdir()
    shutil.copy(boilerplate.boilerplate_file(LAB), data)
    from grading.pipeline.rubric import load_rubric

    rubric = load_rubric(LAB)
    results = cb.write_default_results(root / "default-run", cb.default_run())
    from grading.util.io import write_json

    write_json(
        embedded.default_file(LAB, data),
        embedded.build_from([results], rubric, from_rubric(rubric)),
    )
    return SyntheticClass(root / "clones", data, {s.name: s for s in students})


@pytest.fixture(scope="session")
def class_result(synthetic_class):
    """The similarity result of the synthetic class (computed once)."""
    from grading.private.similarity import detect

    return detect(
        synthetic_class.clones, lab=LAB, jobs=1, data_dir=synthetic_class.data_dir
    )
