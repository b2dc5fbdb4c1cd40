"""The verb and the end of batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from grading.cli import main
from grading.private.similarity import run_for_batch
from grading.util.paths import REPO_ROOT

from .conftest import LAB

FAKE_GRADER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    args = []
    for arg in sys.argv[1:]:  # "--student=ann" and "--student ann" alike
        args += arg.split("=", 1) if arg.startswith("--") else [arg]
    out = Path(args[args.index("--out") + 1])
    student = args[args.index("--student") + 1]
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({
        "schema": 1, "lab": "l03_pruning_clustering", "student": student,
        "status": "graded", "score": 1.0, "max_score": 18.0, "items": [],
        "unassigned": []}))
    (out / "report-instructor.html").write_text("<p>instructor</p>")
    (out / "report.html").write_text("<p>student</p>")
""")


@pytest.mark.slow
def test_verb_on_clones_needs_out_and_writes_json(tmp_path, synthetic_class, capsys):
    clones = synthetic_class.clones
    assert main(["similarity", str(clones), "--no-progress"]) == 2
    assert "give --out" in capsys.readouterr().err
    assert main(["similarity", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    out = tmp_path / "out"
    code = main(
        ["similarity", str(clones), "--out", str(out), "--jobs", "2", "--no-progress"]
    )
    printed = capsys.readouterr().out
    assert code == 0
    data = json.loads((out / "similarity.json").read_text(encoding="utf-8"))
    assert data["submissions"] == 15 and data["source_kind"] == "clones"
    assert "bo and ivo" in printed and "oli and the reference solution" in printed
    assert not (out / "index.html").exists()  # no grades there, no class page


def _three_clones(tmp_path) -> tuple[list[str], dict[str, str]]:
    """Clones of ann, ben (ann's code, renamed) and cat (the stub).

    Returns the command of a batch over them with a fake grader, and its
    environment.
    """
    from . import class_builder as cb
    from . import code_builder

    clones = tmp_path / "clones"
    ada = code_builder.student_module("ada")
    for name, code in (
        ("ann", ada),
        (
            "ben",
            code_builder.rename_identifiers(ada, {"interpreter": "rt", "model": "net"}),
        ),
        ("cat", None),
    ):
        run = cb.pet_run(len(name) + ord(name[0]))
        cb.write_submission(clones / name, cb.Student(name, code, run, {}))
    fake = tmp_path / "fake_grader.py"
    fake.write_text(FAKE_GRADER)
    env = {**os.environ, "GRADING_GRADE_COMMAND": f"{sys.executable} {fake}"}
    command = [
        sys.executable,
        "-m",
        "grading",
        "batch",
        str(clones),
        "--out",
        str(tmp_path / "grades"),
        "--no-progress",
    ]
    return command, env


@pytest.mark.slow
def test_batch_ends_with_the_similarity_step(tmp_path):
    command, env = _three_clones(tmp_path)
    proc = subprocess.run(
        command + ["--no-similarity"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "grades" / "similarity.json").exists()
    proc = subprocess.run(
        command + ["--force"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "similarity: 1 flagged pair(s) of 3" in proc.stderr
    data = json.loads((tmp_path / "grades" / "similarity.json").read_text())
    assert [(p["a"], p["b"]) for p in data["pairs"] if p["flagged"]] == [("ann", "ben")]
    html = (tmp_path / "grades" / "index.html").read_text(encoding="utf-8")
    assert 'href="ann/report-instructor.html"' in html


@pytest.mark.slow
def test_collect_ends_with_the_similarity_step(tmp_path):
    command, env = _three_clones(tmp_path)
    grades = tmp_path / "grades"
    proc = subprocess.run(
        command + ["--no-similarity"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr

    def collect(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "grading", "collect", str(grades), *options],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    skipped = collect("--no-similarity")
    assert skipped.returncode == 0, skipped.stderr
    assert not (grades / "similarity.json").exists()
    done = collect()
    assert done.returncode == 0, done.stderr
    assert "graded 3, failed 0" in done.stderr
    assert "similarity: 1 flagged pair(s) of 3" in done.stderr
    data = json.loads((grades / "similarity.json").read_text())
    assert data["lab"] == LAB  # the plan's
    assert [(p["a"], p["b"]) for p in data["pairs"] if p["flagged"]] == [("ann", "ben")]
    html = (grades / "index.html").read_text(encoding="utf-8")
    assert 'id="similarity"' in html
    assert done.stdout.split("Gradebook: ")[1].split()[0].endswith("gradebook.csv")


def test_run_for_batch_never_raises(tmp_path, capsys):
    assert run_for_batch(tmp_path / "missing", lab=LAB, progress=False) is None
    assert "similarity step failed" in capsys.readouterr().err


@pytest.mark.slow
def test_verb_on_a_grades_folder_updates_the_class_page(
    tmp_path, synthetic_class, class_result, capsys, monkeypatch
):
    from grading.private.similarity import boilerplate, embedded

    from .test_view import _grades

    # the class's own embedded default (its gus and hal ran a simulated one)
    monkeypatch.setattr(embedded, "DATA_DIR", synthetic_class.data_dir)
    monkeypatch.setattr(boilerplate, "DATA_DIR", synthetic_class.data_dir)
    grades = _grades(tmp_path, synthetic_class, class_result)
    (grades / "similarity.json").unlink()
    assert main(["similarity", str(grades), "--no-progress", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["source_kind"] == "grades" and printed["flagged"] == 6
    assert (grades / "similarity.json").is_file()
    assert 'id="similarity"' in (grades / "index.html").read_text(encoding="utf-8")
