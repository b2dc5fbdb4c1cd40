"""Grading-accuracy corpus of lab 03, part 2 (structured pruning).

Each case is the reference solution or a mutant of it (or, for
``original_shape``, a finished lab in the shape of the original course's
template: torchvision imported, every task inline in main(), and main()
calling the missing convert_to_litert), with the points an
instructor gives each structured code item, decided before the grader was
run on it (one reason per deduction). Summary items are not part of these
cases (the submissions carry no summary); tests/structured/test_summary.py
covers them.

``proof`` is what the grader's own checks of the written models, outside the
student's process, must show: ``pruned`` (the masks of compress() at the
sparsity, or the pruned shapes after the speedup) and ``changed`` (the final
model differs from the model fine-tuning started from). The spies' credit
counts only with that proof, and every case here prunes for real, so the
expected points do not change with the proof: in ``no_exclude`` the crash in
fine-tuning already costs the "trained" check that ``changed`` guards.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB = "l03_pruning_clustering"
MODULE = "dl_in_iot_course/l03_pruning_clustering/structured_pruning_experiments.py"
REFERENCE = ROOT / "grading/private/reference" / LAB / Path(MODULE).name
CODE_ITEMS = {
    "structured_traced_optimizer": 1,
    "structured_config_list": 1,
    "structured_exclude_final": 1,
    "structured_pruner": 1,
    "structured_compress_logs": 1,
    "structured_speedup": 2,
    "structured_fine_tune": 3,
    "structured_onnx": 2,
    "structured_tflite": 2,
}


PROVEN = {"pruned": True, "changed": True}


def _full(**changes: float) -> dict[str, float]:
    return {**CODE_ITEMS, **changes}


CASES: dict[str, dict] = {
    "correct": {
        "edits": [],
        "expected": _full(),
        "reasons": {},
    },
    "no_exclude": {
        "edits": [('        {"exclude": True, "op_names": ["fc2"]},\n', "")],
        "expected": _full(structured_exclude_final=0, structured_fine_tune=2),
        "proof": {"pruned": True, "changed": False},
        "reasons": {
            "structured_exclude_final": "-1: the final layer is not excluded, NNI "
            "prunes it to 5 outputs",
            "structured_fine_tune": "-1: the optimizer is right, but the run "
            "crashes in fine-tuning (5 outputs, 10 labels): no fine-tuned model",
        },
    },
    "no_speedup": {
        "edits": [
            (
                "    ModelSpeedup(model, dummy_input, masks).speedup_model()",
                "    del dummy_input, masks  # the speedup is left out",
            )
        ],
        "expected": _full(structured_speedup=0),
        "reasons": {"structured_speedup": "-2: ModelSpeedup is never run"},
    },
    "onnx_only": {
        "edits": [
            (
                "        edge_model = ai_edge_torch.convert(self, (sample,))\n"
                "        edge_model.export(str(outputpath))",
                '        raise todo("FashionClassifier.convert_to_tflite", '
                '"Task S8: TFLite")',
            )
        ],
        "expected": _full(structured_tflite=0),
        "reasons": {"structured_tflite": "-2: convert_to_tflite is not implemented"},
    },
    "changes_outputs": {
        "edits": [
            (
                "ai_edge_torch.convert(self, (sample,))",
                "ai_edge_torch.convert(\n"
                "            torch.nn.Sequential(self, torch.nn.Softmax(dim=1)), "
                "(sample,)\n        )",
            )
        ],
        "expected": _full(structured_tflite=1),
        "reasons": {
            "structured_tflite": "-1: a valid TFLite file, but of another function "
            "(a second softmax on the probabilities)",
        },
    },
}


CASES["original_shape"] = {
    "source": Path(__file__).parent / "fixtures/original_shape_solution.py",
    "edits": [],
    "expected": _full(),
    "reasons": {},
}


def case_source(name: str) -> str:
    """The module source of case ``name``."""
    source = Path(CASES[name].get("source", REFERENCE)).read_text(encoding="utf-8")
    for old, new in CASES[name]["edits"]:
        if old not in source:
            raise ValueError(f"case {name}: the reference no longer contains {old!r}")
        source = source.replace(old, new)
    return source


def make_submission(dest: Path, source: str) -> Path:
    """A committed repository: the course package with ``source`` as the module."""
    import shutil

    for folder in ("dl_in_iot_course", "ai_edge_torch"):
        shutil.copytree(
            ROOT / folder,
            dest / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    (dest / MODULE).write_text(source, encoding="utf-8")
    env = {
        "GIT_AUTHOR_NAME": "Student",
        "GIT_AUTHOR_EMAIL": "student@example.org",
        "GIT_COMMITTER_NAME": "Student",
        "GIT_COMMITTER_EMAIL": "student@example.org",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Add the lab"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    return dest


def structured_rubric(dest: Path) -> Path:
    """The lab's rubric with only the structured part and the hidden tests."""
    text = (ROOT / "grading/labs" / f"{LAB}.toml").read_text(encoding="utf-8")
    checks = 'checks = ["hidden_tests", "summary", "structured_summary", "history"]'
    main = "[parts.main]\n"
    if checks not in text or main not in text:
        raise ValueError("the lab's rubric changed: update structured_rubric()")
    text = text.replace(checks, 'checks = ["hidden_tests"]')
    text = text.replace(main, main + 'enabled = false\nplugins = ["l03_fixtures"]\n')
    path = dest / "structured-only.toml"
    path.write_text(text, encoding="utf-8")
    return path


def grade_case(name: str, tmp: Path, cache: Path | None = None) -> dict:
    """Grade case ``name`` with the structured-only rubric; return results.json."""
    from grading.pipeline.engine import grade
    from grading.pipeline.options import GradeOptions

    tmp.mkdir(parents=True, exist_ok=True)
    submission = make_submission(tmp / "submission", case_source(name))
    rubric = structured_rubric(tmp)
    cache = cache or Path("/tmp/dl-in-iot-structured-cache")
    options = GradeOptions(hidden_tests_cache=str(cache), check_environment=False)
    return grade(submission, str(rubric), tmp / "grade", options=options)


def structured_points(results: dict) -> dict[str, float]:
    """Points of the structured code items in ``results``."""
    return {i["id"]: i["points"] for i in results["items"] if i["id"] in CODE_ITEMS}
