"""GitHub workflows: actionlint, and the student workflow's run: steps executed."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, git

WORKFLOWS = [
    REPO / "grading/private/packaging/student_template/.github/workflows/grade.yml",
    REPO / ".github" / "workflows" / "test.yml",
]
ACTIONLINT = Path(sys.executable).with_name("actionlint")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pass_actionlint(path, unavailable):
    if not ACTIONLINT.exists():
        unavailable("actionlint is not installed (pip install -r requirements-dev.txt)")
    proc = subprocess.run(
        [str(ACTIONLINT), "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_instructor_workflow_runs_the_project_tests():
    flow = yaml.safe_load(WORKFLOWS[1].read_text())
    runs = [s.get("run", "") for s in flow["jobs"]["test"]["steps"]]
    assert "./run test" in runs


def test_student_workflow_shape():
    flow = yaml.safe_load(WORKFLOWS[0].read_text())
    assert "push" in flow[True]  # YAML 1.1 reads the key "on" as True
    steps = flow["jobs"]["grade"]["steps"]
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # the history check needs it all
    setup = next(
        s for s in steps if s.get("uses", "").startswith("actions/setup-python")
    )
    assert setup["with"]["cache"] == "pip"
    assert any(
        s.get("run", "").strip() == "python -m pip install -r requirements.txt"
        for s in steps
    )
    private = next(s for s in steps if s.get("with", {}).get("token"))
    assert "secrets.GRADER_TOKEN" in private["with"]["token"]
    assert "vars.GRADER_REPOSITORY" in private["with"]["repository"]
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert "report.html" in upload["with"]["path"]
    for step in steps:  # no expression is pasted into a script (injection)
        assert "${{" not in step.get("run", "")


# "python" of the workflow steps: this interpreter without the editable install
# of the instructor repository, so that the released template's public grader
# must work with what it ships (as on GitHub, where only requirements.txt is
# installed).
PYTHON_WRAPPER = """#!{python}
import os, runpy, sys
sys.meta_path[:] = [
    f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", "")]
args = sys.argv[1:]
if args[:1] == ["-m"]:
    sys.argv = [args[1], *args[2:]]
    sys.path[0] = os.getcwd()
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
elif args[:1] == ["-c"]:
    sys.argv = ["-c", *args[2:]]
    sys.path[0] = ""
    exec(compile(args[1], "<string>", "exec"), {{"__name__": "__main__"}})
else:
    sys.argv = args
    sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
    runpy.run_path(args[0], run_name="__main__")
"""


class StepRunner:
    """Execute the run: steps of a workflow job like GitHub's runner does."""

    def __init__(self, job: dict, workspace: Path, temp: Path, context: dict):
        self.job, self.workspace, self.temp = job, workspace, temp
        self.context = context  # "secrets.X", "vars.X" -> value
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = temp / "step_summary.md"
        self.summary.write_text("")
        self.logs: dict[str, str] = {}

    def expr(self, text: str) -> str:
        def value(match):
            inner = match.group(1).strip()
            test = re.fullmatch(r"(\S+) != ''", inner)
            if test:
                return "true" if self.lookup(test.group(1)) else "false"
            return self.lookup(inner)

        return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))

    def lookup(self, name: str) -> str:
        step = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
        if step:
            return self.outputs.get(step.group(1), {}).get(step.group(2), "")
        if name in self.context:
            return self.context[name]
        raise AssertionError(f"the test does not know the expression {name!r}")

    def run(self, skip=lambda step: False) -> None:
        bin_dir = self.temp / "bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "python").write_text(PYTHON_WRAPPER.format(python=sys.executable))
        (bin_dir / "python").chmod(0o755)
        base_env = {
            "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.temp / "home"),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_ACTOR": "ada-student",
        }
        job_env = {k: self.expr(v) for k, v in self.job.get("env", {}).items()}
        for number, step in enumerate(self.job["steps"]):
            if "run" not in step or skip(step):
                continue
            output = self.temp / f"output-{number}"
            output.write_text("")
            env = {
                **base_env,
                **job_env,
                "GITHUB_OUTPUT": str(output),
                **{k: self.expr(v) for k, v in step.get("env", {}).items()},
            }
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            self.logs[step.get("id", step["name"])] = proc.stdout + proc.stderr
            if proc.returncode and not step.get("continue-on-error"):
                raise AssertionError(
                    f"step {step['name']!r} failed ({proc.returncode}):"
                    f"\n{proc.stdout}\n{proc.stderr}"
                )
            values = dict(
                line.split("=", 1)
                for line in output.read_text().splitlines()
                if "=" in line
            )
            if "id" in step:
                self.outputs[step["id"]] = values


def run_student_workflow(workspace: Path, temp: Path, context: dict) -> StepRunner:
    flow = yaml.safe_load(WORKFLOWS[0].read_text())
    runner = StepRunner(flow["jobs"]["grade"], workspace, temp, context)
    # The pinned requirements are installed in this interpreter already.
    runner.run(skip=lambda step: "pip install" in step["run"])
    return runner


def decode(runner: StepRunner) -> dict:
    return json.loads(base64.b64decode(runner.outputs["grade"]["result"]))


@pytest.mark.slow
def test_student_workflow_without_the_instructor_grader(tmp_path, released):
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(released), str(workspace))
    summary_dir = workspace / "summaries" / "l03_pruning_clustering"
    summary_dir.mkdir(parents=True)
    (summary_dir / "README.md").write_text("# Lab 03 summary\n\nWork in progress.\n")
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_mine.py").write_text("def test_no():\n    assert 0\n")
    git(workspace, "add", "summaries", "tests")
    git(workspace, "commit", "-q", "-m", "summary: Start the lab 03 summary")
    (tmp_path / "temp" / "home").mkdir(parents=True)
    runner = run_student_workflow(
        workspace,
        tmp_path / "temp",
        {"secrets.GRADER_TOKEN": "", "vars.GRADER_REPOSITORY": ""},
    )

    summary = runner.summary.read_text()
    report = (tmp_path / "temp" / "grade" / "report.md").read_text()
    notice = summary.index("**Checks that did not run:** the hidden tests")
    assert notice < summary.index(report[:200])  # said first, then the report
    assert "GRADER_TOKEN is not set" in summary and "forks" in summary
    assert runner.outputs["grade"]["mode"] == "public"
    assert Path(runner.outputs["grade"]["out"], "report.html").is_file()
    assert runner.outputs["own-tests"]["status"] == "1"
    assert "**Your own tests** under tests/ failed (pytest exit code 1)" in summary
    assert "1 failed" in runner.logs["own-tests"]

    result = decode(runner)
    assert result["version"] == 1 and result["status"] in ("pass", "fail")
    results = json.loads((tmp_path / "temp" / "grade" / "results.json").read_text())
    auto = [i for i in results["items"] if i["kind"] != "manual"]
    assert [t["name"] for t in result["tests"]] == [i["title"] for i in auto]
    assert result["max_score"] == sum(i["max_points"] for i in auto)
    assert sum(t["score"] for t in result["tests"]) == sum(i["points"] for i in auto)
    assert git(workspace, "status", "--porcelain") == ""  # nothing written inside
    assert "grading.private.reference" not in "".join(runner.logs.values())


@pytest.mark.slow
def test_student_workflow_with_the_instructor_grader(tmp_path, released):
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(released), str(workspace))
    # What actions/checkout puts in .instructor-grader when the token works.
    grader = workspace / ".instructor-grader"
    shutil.copytree(
        REPO / "grading",
        grader / "grading",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(
        REPO / "dl_in_iot_course",
        grader / "dl_in_iot_course",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_mine.py").write_text(
        "def test_ok():\n    assert True\n"
    )
    (tmp_path / "temp" / "home").mkdir(parents=True)
    runner = run_student_workflow(
        workspace,
        tmp_path / "temp",
        {"secrets.GRADER_TOKEN": "ghp_x", "vars.GRADER_REPOSITORY": "staff/grader"},
    )
    assert runner.outputs["grade"]["mode"] == "full"
    assert runner.outputs["own-tests"]["status"] == "0"
    assert not grader.exists()  # moved out of the graded tree
    summary = runner.summary.read_text()
    assert "Checks that did not run" not in summary
    assert summary.startswith("## Score")
    result = decode(runner)
    names = {t["name"] for t in result["tests"]}
    assert any("ClusteredModel" in n for n in names)
    suites = REPO / "grading" / "hidden" / "suites"
    hidden = {p.stem for p in suites.rglob("test_*.py")}
    blob = json.dumps(result) + summary + "".join(runner.logs.values())
    for name in hidden:
        assert name not in blob  # no test source or test file names in public output
    assert os.environ.get("GRADER_TOKEN") is None
