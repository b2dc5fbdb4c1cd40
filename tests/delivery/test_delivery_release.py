"""The releases: the student template, the grader bundle, the Classroom result.

The folder rule: the template holds the public part of the grader, the
bundle the public and the hidden part, and neither anything of the private
part; no reference file and no line of one is in either.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from delivery_helpers import REPO, git

from grading.pipeline.rubric import load_rubric
from grading.private.packaging import (
    ReleaseError,
    bundle_rubric,
    git_blob_sha,
    guard,
    public_rubric,
    release,
    release_bundle,
)
from grading.private.packaging.files import ignored_by_git, walk_files
from grading.report.classroom import classroom_result, encode_classroom, run_status


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
    errored = classroom_result({**RESULTS, "status": "error", "items": []})
    assert errored["status"] == "error" and errored["tests"][0]["status"] == "error"
    assert errored["tests"][0]["name"] == "grading"


def test_a_timeout_is_an_error_in_classroom_never_a_failure():
    items = [dict(i) for i in RESULTS["items"]]
    items[1] = {**items[1], "status": "timeout", "points": 0.0, "findings": []}
    timed = {**RESULTS, "status": "timeout", "items": items}
    assert run_status(timed) == "timeout"
    assert run_status({**timed, "status": "graded"}) == "timeout"  # an item did
    assert run_status(RESULTS) == "graded"
    assert run_status({**RESULTS, "status": "error"}) == "error"
    assert run_status({**RESULTS, "status": "strange"}) == "error"
    result = classroom_result(timed)
    assert result["status"] == "error"
    by = {t["name"]: t for t in result["tests"]}
    assert by["PrunedModel"]["status"] == "error"
    assert "could not check: time limit" in by["PrunedModel"]["message"]
    assert by["ClusteredModel"]["score"] == 2.5  # what was checked still counts
    assert result["max_score"] == 10.0
    only_top = classroom_result({**RESULTS, "status": "timeout", "items": []})
    assert only_top["status"] == "error" and "time limit" in json.dumps(only_top)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps({**RESULTS, "status": "timeout"}), "timeout"),
        (json.dumps(RESULTS), "graded"),
        ("[1, 2]", "error"),
        ("{not json", "error"),
        (None, "error"),
    ],
)
def test_classroom_verb_prints_how_the_run_ended(tmp_path, content, expected):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "grading", "classroom", "--status", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == expected


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


# ---------------------------------------------------------------------------
# The grader bundle
# ---------------------------------------------------------------------------


def source_grader_files() -> dict[str, str]:
    """``grading/`` files of this repository that git keeps: path -> part."""
    found = {}
    for _path, rel in walk_files(REPO / "grading", REPO):
        part = "public"
        if rel.startswith("grading/hidden/"):
            part = "hidden"
        elif rel.startswith("grading/private/"):
            part = "private"
        found[rel] = part
    ignored = ignored_by_git(REPO, list(found))
    return {rel: part for rel, part in found.items() if rel not in ignored}


def tracked(root: Path) -> set[str]:
    """What a released repository commits (what a push sends)."""
    return set(git(root, "ls-files").splitlines())


def grader_part(root: Path) -> set[str]:
    return {rel for rel in tracked(root) if rel.startswith("grading/")}


def test_folder_rule_template_public_bundle_public_and_hidden(released, grader_bundle):
    parts = source_grader_files()
    assert {"public", "hidden", "private"} <= set(parts.values())
    want_public = {r for r, p in parts.items() if p == "public"}
    want_hidden = {r for r, p in parts.items() if p == "hidden"}
    assert grader_part(released) == want_public
    assert grader_part(grader_bundle) == want_public | want_hidden
    for root in (released, grader_bundle):
        assert not any(r.startswith("grading/private") for r in tracked(root))
    for rel in want_public | want_hidden:  # copied as they are, but the rubrics
        if not rel.startswith("grading/labs/"):
            assert (grader_bundle / rel).read_bytes() == (REPO / rel).read_bytes()
    course = {rel for _p, rel in walk_files(REPO / "dl_in_iot_course", REPO)}
    assert course <= tracked(grader_bundle)


#: Reference lines the guard lets into the bundle because a hidden suite
#: quotes them in a one-line string (the call a task asks for, shown as
#: "expected ..."). Pinned: a new quoted solution line is a reviewed change.
QUOTED_REFERENCE_LINES = frozenset(
    {
        # grading/hidden/suites/l03_pruning_clustering/test_pruned_model.py
        "model, pruning_schedule=self.sched",
    }
)


def reference_strings() -> dict[str, str]:
    """Reference string literals (docstrings too) of 25 characters or more that
    students do not have: not in the course package, not a course file's path."""
    course = " ".join(
        guard.normal(p.read_text(errors="replace"))
        for name in guard.PUBLIC_COURSE
        for p, _rel in walk_files(REPO / name, REPO)
    )
    course_files = {
        rel.removeprefix("dl_in_iot_course/")
        for _p, rel in walk_files(REPO / "dl_in_iot_course", REPO)
    }
    found = {}
    for path in (REPO / "grading" / "private" / "reference").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = guard.normal(node.value)
            if len(text) < guard.MIN_LINE or text in course:
                continue
            if text in course_files:
                continue  # the path of a file students get
            found.setdefault(text, f"{path.name}:{node.lineno}")
    return found


def test_no_reference_file_and_no_line_of_one_in_the_bundle(grader_bundle):
    secret = guard.reference_secrets(REPO)
    assert len(secret) >= 40, "expected the reference solutions' lines"
    # The guard's one exemption, quoted lines, is pinned here, not shared.
    public = guard._lines_of(REPO, guard.PUBLIC_COURSE)
    reference = REPO / "grading" / "private" / "reference"
    unexempted = guard.secret_lines(reference, public)
    assert set(unexempted) - set(secret) == set(QUOTED_REFERENCE_LINES)
    secret = {k: v for k, v in unexempted.items() if k not in QUOTED_REFERENCE_LINES}
    assert any("strip_clustering(" in line for line in secret)
    assert any("prune_low_magnitude(" in line for line in secret)
    files = [p for p, _ in walk_files(reference, REPO)]
    shas = {git_blob_sha(p.read_bytes()) for p in files if p.stat().st_size}
    texts = {}
    for path in released_files(grader_bundle):
        rel = path.relative_to(grader_bundle).as_posix()
        assert git_blob_sha(path.read_bytes()) not in shas, f"{rel} is a reference"
        texts[rel] = guard.normal(path.read_bytes().decode("utf-8", "replace"))
    for line, where in secret.items():
        found = [rel for rel, text in texts.items() if line in text]
        assert not found, f"line {where} of a reference solution is in {found}"
    for where, body in reference_bodies().items():
        found = [rel for rel, text in texts.items() if body in text]
        assert not found, f"reference body of {where} appears in {found}"
    strings = reference_strings()
    assert len(strings) >= 10, "expected the reference solutions' strings"
    for text, where in strings.items():
        found = [rel for rel, blob in texts.items() if text in blob]
        assert not found, f"string {where} of a reference solution is in {found}"
    for line in QUOTED_REFERENCE_LINES:  # only where a hidden suite quotes it
        found = {rel for rel, text in texts.items() if line in text}
        assert found and all(r.startswith("grading/hidden/suites/") for r in found)
    # ... and the bundle does carry what it is for: the hidden tests.
    suites = "".join(t for r, t in texts.items() if r.startswith("grading/hidden/"))
    assert all(name in suites for name in hidden_test_names())


def test_bundle_rubric_is_full_without_instructor_notes(grader_bundle, tmp_path):
    source = REPO / "grading" / "labs" / "l03_pruning_clustering.toml"
    path = grader_bundle / "grading" / "labs" / "l03_pruning_clustering.toml"
    assert tomllib.loads(path.read_text()) == bundle_rubric(source)
    mine, shipped = load_rubric(source), load_rubric(path)
    assert shipped.max_score == mine.max_score
    assert [i.checks for i in shipped.items] == [i.checks for i in mine.items]
    assert "[hidden_tests]" in path.read_text() and "hidden." in path.read_text()
    body = path.read_text().splitlines()[2:]  # after the two header lines
    assert not [line for line in body if line.lstrip().startswith("#")]  # comments
    noted = tmp_path / "noted.toml"
    noted.write_text(
        source.read_text() + '\n[instructor]\nnote = "students often forget strip"\n'
    )
    text = noted.read_text().replace(
        'kind = "auto"\n', 'kind = "auto"\ninstructor_notes = "watch for k=3"\n', 1
    )
    noted.write_text(text)
    for rubric in (bundle_rubric(noted), public_rubric(noted)):
        dumped = json.dumps(rubric)
        assert "instructor" not in rubric and "watch for k=3" not in dumped
        assert "students often forget" not in dumped
        assert rubric["items"][0]["points"] == 2


def copy_source(tmp_path: Path) -> Path:
    """A copy of this repository's released parts, to plant things in."""
    source = tmp_path / "source"
    for name in ("grading", "dl_in_iot_course", "summaries"):
        shutil.copytree(
            REPO / name,
            source / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    shutil.copy2(REPO / "requirements.txt", source / "requirements.txt")
    return source


def test_a_reference_line_in_the_hidden_suites_stops_the_release(tmp_path):
    source = copy_source(tmp_path)
    secret = guard.reference_secrets(source)
    line = next(line for line in secret if "strip_clustering(" in line)
    helpers = next((source / "grading" / "hidden" / "suites").rglob("*helpers.py"))
    helpers.write_text(helpers.read_text() + f"\n# {line.upper()}\n#  {line}\n")
    with pytest.raises(ReleaseError, match="refusing to release the grader bundle"):
        release_bundle(tmp_path / "bundle", source=source)
    with pytest.raises(ReleaseError, match=helpers.name):
        release_bundle(tmp_path / "bundle", source=source, force=True)
    # The template leaves the hidden part out, so it is not stopped by it ...
    release(tmp_path / "template", source=source)
    # ... but a line of a hidden suite in the public grader stops it.
    hidden = guard.hidden_secrets(source)
    test_line = next(line for line in hidden if "assert" in line)
    public = source / "grading" / "report" / "classroom.py"
    public.write_text(public.read_text() + f"\n# {test_line}\n")
    with pytest.raises(ReleaseError, match="classroom.py holds line"):
        release(tmp_path / "template2", source=source)


def test_releasing_into_a_bundle_adds_to_its_history(tmp_path):
    source = copy_source(tmp_path)
    out = tmp_path / "bundle"
    first = release_bundle(out, source=source)
    assert first["changed"] and git(out, "rev-list", "--count", "HEAD") == "1"
    assert git(out, "log", "-1", "--format=%an|%s").startswith(
        "Course Staff|course: Release the grader bundle"
    )
    again = release_bundle(out, source=source)
    assert not again["changed"] and again["commit"] == first["commit"]
    suite = next((source / "grading" / "hidden" / "suites").rglob("test_*.py"))
    suite.write_text(suite.read_text() + "\n# one more check next week\n")
    (source / "grading" / "hidden" / "gone.py").write_text("X = 1\n")
    release_bundle(out, source=source)
    (source / "grading" / "hidden" / "gone.py").unlink()
    third = release_bundle(out, source=source)
    assert third["changed"] and git(out, "rev-list", "--count", "HEAD") == "3"
    assert git(out, "rev-parse", "HEAD~2") == first["commit"]  # a fast-forward
    assert not (out / "grading" / "hidden" / "gone.py").exists()
    assert git(out, "status", "--porcelain") == ""
    record = json.loads((out / ".course" / "bundle.json").read_text())
    tracked = dict(
        (line.split("\t")[1], line.split()[1])
        for line in git(out, "ls-files", "-s").splitlines()
    )
    tracked.pop(".course/bundle.json")
    assert record["files"] == tracked
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="is not empty; pass --force"):
        release_bundle(other, source=source)
    assert (other / "keep.txt").read_text() == "mine"


def test_release_verb_writes_both_and_refuses_overlaps(tmp_path):
    out = tmp_path / "lab-template"
    cmd = [sys.executable, "-m", "grading", "release", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    bundle = tmp_path / "lab-template-grader-bundle"
    assert (bundle / ".course" / "bundle.json").is_file()
    assert f"Grader bundle: {bundle}" in proc.stdout and "private" in proc.stdout
    inside = cmd + ["--force", "--bundle-out", str(out / "bundle")]
    proc = subprocess.run(inside, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "overlap" in proc.stderr
