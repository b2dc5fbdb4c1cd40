"""Dockerfile and Singularity.def: lint, parse, same pins, and their commands run."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from delivery_helpers import REPO, git

DOCKERFILE = REPO / "Dockerfile"
DEFFILE = REPO / "Singularity.def"
HADOLINT = Path(sys.executable).with_name("hadolint")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def singularity_recipe():
    from spython.main.parse.parsers import SingularityParser

    recipes = SingularityParser(str(DEFFILE)).recipe
    assert len(recipes) == 1
    return next(iter(recipes.values()))


def docker_env() -> dict[str, str]:
    env = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def test_hadolint_accepts_the_dockerfile(unavailable):
    if not HADOLINT.exists():
        unavailable("hadolint is not installed (pip install -r requirements-dev.txt)")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_accepts_the_student_image(unavailable):
    if not HADOLINT.exists():
        unavailable("hadolint is not installed (pip install -r requirements-dev.txt)")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(REPO / "Dockerfile.student")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_both_images_install_exactly_the_readme_pins():
    steps = dockerfile_instructions()
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert ("COPY", "requirements.txt ./") in steps
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    recipe = singularity_recipe()
    assert "requirements.txt /opt/grader/requirements.txt" in recipe.files
    post = " ".join(recipe.install)
    assert "pip install --no-cache-dir -r /opt/grader/requirements.txt" in post
    # No other package is installed by pip in either image: part 2's set
    # comes from requirements-structured.txt, after torch at that file's pin
    # (its CPU build, as ./run structured installs it).
    torch = next(
        line
        for line in (REPO / "requirements-structured.txt").read_text().splitlines()
        if line.startswith("torch==")
    )
    assert f"pip install --quiet {torch}" in (REPO / "run").read_text()
    allowed = [
        ["requirements.txt"],
        ["/opt/grader/requirements.txt"],
        ["requirements-structured.txt"],
        ["/opt/grader/requirements-structured.txt"],
        ["https://download.pytorch.org/whl/cpu", torch],
    ]
    post_lines = re.sub(r"\\\s*\n", " ", "\n".join(recipe.install)).splitlines()
    commands = [rest for word, rest in steps if word == "RUN"] + [
        line for line in post_lines if not line.strip().startswith("#")
    ]
    seen = []
    for command in commands:
        for part in re.split(r"&&|;", command):
            if "pip install" in part:
                words = part.split("pip install", 1)[1].split()
                seen.append([w for w in words if not w.startswith("-")])
                assert seen[-1] in allowed, part
    assert seen.count(allowed[-1]) == 2, "torch's CPU build in both images"
    assert ("COPY", "requirements-structured.txt ./") in steps
    assert (
        "requirements-structured.txt /opt/grader/requirements-structured.txt"
        in recipe.files
    )
    for image in (DOCKERFILE, DEFFILE):
        assert "dataset-fashion-mnist" in image.read_text(), image
        assert "git-lfs" in image.read_text(), image
    # The README install (./run) and the student workflow use the same file.
    assert "-r requirements.txt" in (REPO / "requirements-dev.txt").read_text()
    assert "pip install --quiet -r requirements-dev.txt" in (REPO / "run").read_text()
    flow = yaml.safe_load(
        (
            REPO
            / "grading/private/packaging/student_template/.github/workflows/grade.yml"
        ).read_text()
    )
    steps_run = [s.get("run", "") for s in flow["jobs"]["grade"]["steps"]]
    assert "python -m pip install -r requirements.txt" in steps_run
    # One Python for all: the images' base matches the workflow's version.
    python = next(
        s["with"]["python-version"]
        for s in flow["jobs"]["grade"]["steps"]
        if s.get("uses", "").startswith("actions/setup-python")
    )
    base = next(rest for word, rest in steps if word == "FROM")
    assert base == recipe.fromHeader == f"python:{python}-slim-bookworm"
    assert sys.version.startswith(python)  # and the one the tests ran with
    pins = [
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", p) for p in pins)


def test_images_run_as_non_root_and_start_the_grader():
    steps = dockerfile_instructions()
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entry = json.loads(next(rest for word, rest in steps if word == "ENTRYPOINT"))
    assert entry == ["python", "-m", "grading"]
    assert docker_env()["PYTHONPATH"] == "/opt/grader"
    recipe = singularity_recipe()
    assert recipe.cmd.strip() == 'exec python -m grading "$@"'
    assert "PYTHONPATH=/opt/grader" in recipe.environ
    copied = {rest.split()[0] for word, rest in steps if word == "COPY"}
    assert {"grading", "dl_in_iot_course"} <= {c.strip("./") for c in copied}
    for needed in ("grading", "dl_in_iot_course", "requirements.txt"):
        assert needed not in (REPO / ".dockerignore").read_text().split()


def _image_like_env(tmp_path: Path) -> dict[str, str]:
    """The environment of the Docker image, pointed at this checkout."""
    env = {
        **docker_env(),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "PYTHONPATH": str(REPO),
    }
    env.pop("PIP_NO_CACHE_DIR", None)
    return env


def _offline(command: list[str]) -> list[str]:
    """Prefix ``command`` with a network namespace of its own when we may."""
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode
        == 0
    ):
        return ["unshare", "--net", *command]
    return command


def test_image_entrypoint_prints_help(tmp_path):
    proc = subprocess.run(
        _offline(["python", "-m", "grading", "--help"]),
        cwd=tmp_path,
        env=_image_like_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for verb in ("grade", "batch", "collect", "release", "demo"):
        assert verb in proc.stdout


@pytest.mark.slow
def test_batch_inside_the_image_runs_without_network(tmp_path, released):
    """The batch command docs/delivery.md gives for the image, without network."""
    clones = tmp_path / "data" / "clones"
    clones.mkdir(parents=True)
    git(clones, "clone", "-q", str(released), "alice")
    before = git(clones / "alice", "rev-parse", "HEAD")
    grades = tmp_path / "data" / "grades"
    (tmp_path / "home").mkdir()
    command = [
        "python",
        "-m",
        "grading",
        "batch",
        str(clones),
        "--out",
        str(grades),
        "--jobs",
        "2",
        "--no-progress",
    ]
    proc = subprocess.run(
        _offline(command),
        cwd=tmp_path / "data",
        env=_image_like_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    assert "alice: graded" in proc.stderr
    results = json.loads((grades / "alice" / "results.json").read_text())
    assert results["status"] == "graded" and results["student"] == "alice"
    assert (grades / "alice" / "report.html").is_file()
    assert "alice" in (grades / "gradebook.csv").read_text()
    assert (grades / "index.html").is_file()
    assert git(clones / "alice", "rev-parse", "HEAD") == before
    assert git(clones / "alice", "status", "--porcelain") == ""
    again = subprocess.run(
        _offline(command),
        cwd=tmp_path / "data",
        env=_image_like_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0 and "0 to grade, 1 already done" in again.stderr
    assert os.environ.get("GRADING_GRADE_COMMAND") is None
