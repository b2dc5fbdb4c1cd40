"""The student template: contents, secrets left out, template record, Classroom."""

from __future__ import annotations

import ast
import base64
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, git

from grading.pipeline.rubric import load_rubric
from grading.private.packaging import git_blob_sha, public_rubric
from grading.report.classroom import classroom_result, encode_classroom


def released_files(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts[len(root.parts) : len(root.parts) + 1]
    ]


def hidden_test_names() -> set[str]:
    names = set()
    for path in (REPO / "grading" / "hidden" / "suites").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and node.name.startswith("test"):
                names.add(node.name)
    return names


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def reference_bodies() -> dict[str, str]:
    """Body of every reference function that the course package does not share."""
    course = " ".join(
        _normal(p.read_text()) for p in (REPO / "dl_in_iot_course").rglob("*.py")
    )
    bodies = {}
    for path in (REPO / "grading" / "private" / "reference").rglob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
            ):
                body = body[1:]  # the docstring may be shared with the stub
            text = _normal(
                "\n".join(ast.get_source_segment(source, s) or "" for s in body)
            )
            if len(text) >= 60 and text not in course:
                bodies[f"{path.name}:{node.name}"] = text
    return bodies


def test_secrets_are_not_released(released):
    names = hidden_test_names()
    bodies = reference_bodies()
    assert len(names) >= 3, "expected the hidden tests of lab 03"
    assert bodies, "expected reference solutions that the stubs lack"
    texts = {
        p: p.read_bytes().decode("utf-8", "replace") for p in released_files(released)
    }
    normal = {p: _normal(t) for p, t in texts.items()}
    for name in names:
        found = [str(p) for p, t in texts.items() if re.search(rf"\b{name}\b", t)]
        assert not found, f"hidden test {name} appears in {found}"
    for where, body in bodies.items():
        found = [str(p) for p, t in normal.items() if body in t]
        assert not found, f"reference body of {where} appears in {found}"
    rel = {p.relative_to(released).as_posix() for p in texts}
    assert not any(r.startswith(("grading/hidden/", "grading/private/")) for r in rel)
    assert not any(
        r.startswith("grading/commands/")
        and r.split("/")[-1] in {"release.py", "batch.py", "demo.py", "collect.py"}
        for r in rel
    )


def test_template_is_one_clean_commit_with_a_file_record(released):
    assert git(released, "rev-list", "--count", "HEAD") == "1"
    assert (
        git(released, "log", "-1", "--format=%an|%s")
        == "Course Staff|course: Release the student template "
        + json.loads((released / ".course" / "template.json").read_text())[
            "template_version"
        ]
    )
    assert git(released, "status", "--porcelain") == ""
    assert git(released, "branch", "--show-current") == "main"
    record = json.loads((released / ".course" / "template.json").read_text())
    assert set(record) >= {
        "course",
        "template_version",
        "released_at",
        "source_commit",
        "files",
    }
    assert re.fullmatch(r"[0-9a-f]{40}", record["source_commit"])
    tracked = {}
    for line in git(released, "ls-files", "-s").splitlines():
        meta, path = line.split("\t")
        tracked[path] = meta.split()[1]
    tracked.pop(".course/template.json")
    assert record["files"] == tracked  # blob shas, as the history check reads them
    for must in (
        ".github/workflows/grade.yml",
        ".gitignore",
        "README.md",
        "requirements.txt",
        "grading/labs/l03_pruning_clustering.toml",
        "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py",
    ):
        assert must in record["files"], must
    assert (REPO / "requirements.txt").read_bytes() == (
        released / "requirements.txt"
    ).read_bytes()
    assert git_blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_public_rubric_drops_hidden_checks_but_keeps_points(released):
    mine = load_rubric(REPO / "grading" / "labs" / "l03_pruning_clustering.toml")
    public_path = released / "grading" / "labs" / "l03_pruning_clustering.toml"
    public = load_rubric(public_path)
    assert public.max_score == mine.max_score
    assert [i.id for i in public.items] == [i.id for i in mine.items]
    text = public_path.read_text()
    assert "hidden." not in text and "[hidden_tests]" not in text
    assert "artifact." not in text  # verified only with the hidden tests
    assert tomllib.loads(text) == public_rubric(
        REPO / "grading" / "labs" / "l03_pruning_clustering.toml"
    )


ISOLATED = (
    "import runpy, sys\n"
    "sys.meta_path[:] = [f for f in sys.meta_path\n"
    "                    if 'Editable' not in getattr(f, '__name__', '')]\n"
    "sys.path[0] = ''\n"
    "sys.argv = ['grading', *sys.argv[1:]]\n"
    "runpy.run_module('grading', run_name='__main__', alter_sys=True)\n"
)


def released_grading(released: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the released grader with only what the template ships importable."""
    return subprocess.run(
        [sys.executable, "-c", ISOLATED, *args],
        cwd=released,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
    )


def test_released_grader_has_only_public_verbs(released):
    proc = released_grading(released, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "grade" in proc.stdout and "classroom" in proc.stdout
    for verb in ("release", "batch", "collect", "demo"):
        assert not re.search(rf"^\s+{verb}\s", proc.stdout, re.M), verb
    verbs = re.findall(r"^    (\w+)\s", proc.stdout.split("verbs:")[1], re.M)
    assert "grade" in verbs
    for verb in verbs:  # each verb's module imports from the template alone
        assert released_grading(released, verb, "--help").returncode == 0, verb


def test_release_refuses_a_non_empty_folder(tmp_path):
    out = tmp_path / "t"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    cmd = [sys.executable, "-m", "grading", "release", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "is not empty; pass --force" in proc.stderr
    assert (out / "keep.txt").read_text() == "mine"
    proc = subprocess.run(
        cmd + ["--force"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert not (out / "keep.txt").exists() and (out / ".course/template.json").is_file()


RESULTS = {
    "schema": 1,
    "status": "graded",
    "score": 7.5,
    "max_score": 18.0,
    "items": [
        {
            "id": "clustered_model",
            "title": "ClusteredModel",
            "points": 2.5,
            "max_points": 4.0,
            "kind": "auto",
            "status": "partial",
            "source": "check",
            "findings": [
                {
                    "passed": False,
                    "message": "Kernels have 9 unique values, not 4.",
                    "evidence": "def test_secret(): assert x",
                    "audience": "student",
                },
                {"passed": False, "message": "raw log", "audience": "instructor"},
            ],
        },
        {
            "id": "pruned_model",
            "title": "PrunedModel",
            "points": 4.0,
            "max_points": 4.0,
            "kind": "auto",
            "status": "pass",
            "source": "check",
            "findings": [],
        },
        {
            "id": "question_1",
            "title": "Question 1",
            "points": 0,
            "max_points": 1.0,
            "kind": "manual",
            "status": "manual",
            "source": "manual",
            "findings": [],
        },
        {
            "id": "deflation",
            "title": "Deflation",
            "points": 1.0,
            "max_points": 2.0,
            "kind": "manual",
            "status": "partial",
            "source": "override",
            "findings": [],
        },
    ],
}


def test_classroom_result_has_partial_scores_and_no_test_source():
    result = classroom_result(RESULTS)
    assert result["version"] == 1 and result["status"] == "fail"
    assert result["max_score"] == 10.0  # manual items wait for a person
    by = {t["name"]: t for t in result["tests"]}
    assert set(by) == {"ClusteredModel", "PrunedModel", "Deflation"}
    assert by["ClusteredModel"]["score"] == 2.5
    assert by["ClusteredModel"]["status"] == "fail"
    assert "9 unique values" in by["ClusteredModel"]["message"]
    assert "test_secret" not in json.dumps(result) and "raw log" not in json.dumps(
        result
    )
    for test in result["tests"]:
        assert set(test) == {"name", "status", "score", "message", "duration"}
    decoded = json.loads(base64.b64decode(encode_classroom(result)))
    assert decoded == result
    errored = classroom_result({**RESULTS, "status": "timeout"})
    assert errored["status"] == "error" and errored["tests"][0]["status"] == "error"


@pytest.mark.parametrize("content", ["{not json", None])
def test_classroom_verb_always_prints_a_result(tmp_path, content):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "grading", "classroom", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    result = json.loads(base64.b64decode(proc.stdout.strip()))
    assert (
        result["status"] == "error"
        and "could not read" in result["tests"][0]["message"]
    )
