"""Run the student workflow's ``run:`` steps as GitHub's runner would.

Shared by the workflow tests: a step runner (``run:`` scripts in bash with a
fake ``GITHUB_*`` environment), a stand-in for the bundle's checkout, a fake
token, and the searches of what the student sees for the token, the bundle's
name and place, and the hidden tests' source.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import yaml
from delivery_helpers import REPO, git

from grading.private.packaging import guard

STUDENT_WORKFLOW = (
    REPO / "grading/private/packaging/student_template/.github/workflows/grade.yml"
)
TOKEN = "github_pat_11FAKE0TOKEN0Zq8w3Xr5Lm2Vn7Tb1Kc9Hd4Pj6Sg0Ya"
BUNDLE_NAME = "course-staff/dl-iot-grader-bundle-2026"


def student_flow() -> dict:
    """The student workflow, parsed."""
    return yaml.safe_load(STUDENT_WORKFLOW.read_text())


# "python" of the workflow steps: this interpreter without the editable install
# of the instructor repository, so that the released template's public grader
# (or the bundle's) must work with what it ships (as on GitHub, where only
# requirements.txt is installed).
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
    """Execute a workflow job like GitHub's runner: run: steps in bash.

    ``uses:`` steps are skipped, except those given in ``actions`` (step id
    -> callable(step, runner) returning the step's outcome), which stand in
    for them when the step's ``if:`` holds.
    """

    def __init__(self, job, workspace: Path, temp: Path, context, actions=None):
        self.job, self.workspace, self.temp = job, workspace, temp
        self.context = context  # "secrets.X", "vars.X" -> value
        self.actions = actions or {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.outcomes: dict[str, str] = {}
        self.output_files: list[Path] = []
        self.summary = temp / "step_summary.md"
        self.summary.write_text("")
        self.logs: dict[str, str] = {}
        self.job_env: dict[str, str] = {}

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
        if name.startswith("env."):
            return self.job_env.get(name[4:], "")
        if name in self.context:
            return self.context[name]
        raise AssertionError(f"the test does not know the expression {name!r}")

    def holds(self, condition: str) -> bool:
        """Evaluate an ``if:`` made of ``a == 'x'`` / ``a != ''`` joined by &&."""
        for part in condition.split("&&"):
            part = part.strip()
            if part == "always()":
                continue
            left, op, right = re.fullmatch(r"(\S+) (==|!=) '(.*)'", part).groups()
            if (self.lookup(left) == right) != (op == "=="):
                return False
        return True

    def base_env(self) -> dict[str, str]:
        bin_dir = self.temp / "bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "python").write_text(PYTHON_WRAPPER.format(python=sys.executable))
        (bin_dir / "python").chmod(0o755)
        return {
            "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.temp / "home"),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": "course-org/lab03-ada-student",
            "GITHUB_REPOSITORY_OWNER": "course-org",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_ACTOR": "ada-student",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }

    def run(self, skip=lambda step: False) -> None:
        base = self.base_env()
        self.job_env = {k: self.expr(v) for k, v in self.job.get("env", {}).items()}
        for number, step in enumerate(self.job["steps"]):
            key = step.get("id", step.get("name"))
            if "if" in step and not self.holds(step["if"]):
                self.outcomes[key] = "skipped"
                continue
            if "run" not in step:
                if key in self.actions:
                    self.outcomes[key] = self.actions[key](step, self)
                continue
            if skip(step):
                continue
            output = self.temp / f"output-{number}"
            output.write_text("")
            self.output_files.append(output)
            env = {
                **base,
                **self.job_env,
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
            self.logs[key] = proc.stdout + proc.stderr
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


def fake_checkout(bundle: Path | None):
    """Stand-in for actions/checkout of the bundle: copy ``bundle`` to its path.

    The copy gets a ``.git/config`` holding the token as actions/checkout
    writes it with ``persist-credentials: true`` (the worst case), so a test
    can prove that the workflow leaves no copy of it on disk.
    """

    def action(step, runner):
        assert runner.expr(step["with"]["token"]) == TOKEN
        assert runner.expr(step["with"]["repository"]) == BUNDLE_NAME
        if bundle is None:
            return "failure"  # a token that cannot read the repository
        dest = runner.workspace / step["with"]["path"]
        shutil.copytree(bundle, dest, ignore=shutil.ignore_patterns(".git"))
        basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        (dest / ".git").mkdir()
        (dest / ".git" / "config").write_text(
            '[http "https://github.com/"]\n'
            f"\textraheader = AUTHORIZATION: basic {basic}\n"
        )
        return "success"

    return action


def run_student_workflow(workspace, temp, context, bundle=None, checkout=True):
    """Run the student workflow's steps; ``bundle`` is what the checkout gets."""
    job = student_flow()["jobs"]["grade"]
    context = {"vars.GRADER_STUDENT_IMAGE": "", **context}
    (temp / "home").mkdir(parents=True, exist_ok=True)
    actions = {"bundle": fake_checkout(bundle if checkout else None)}
    runner = StepRunner(job, workspace, temp, context, actions)
    # The pinned requirements are installed in this interpreter already.
    runner.run(skip=lambda step: "pip install" in step["run"])
    return runner


def with_bundle(token=TOKEN, name=BUNDLE_NAME, old_token=""):
    return {
        "secrets.GRADER_BUNDLE_TOKEN": token,
        "vars.GRADER_BUNDLE_REPOSITORY": name,
        "secrets.GRADER_TOKEN": old_token,
    }


def decode(runner: StepRunner) -> dict:
    return json.loads(base64.b64decode(runner.outputs["grade"]["result"]))


def token_forms(token: str) -> list[str]:
    """The token as a student's edited step might print it to dodge masking."""
    forms = {token, token[::-1], token.encode().hex(), token.encode().hex().upper()}
    forms.add(urllib.parse.quote(token))
    for raw in (token.encode(), f"x-access-token:{token}".encode()):
        for shift in range(3):  # base64 of the token at every alignment
            encoded = base64.b64encode(b"\0" * shift + raw).decode()
            forms.add(encoded[4 if shift else 0 : -4])
    return sorted(f for f in forms if len(f) >= 12)


def public_outputs(runner: StepRunner) -> str:
    """Everything the student sees besides the logs: summary, outputs, result."""
    texts = [runner.summary.read_text()]
    texts += [p.read_text() for p in runner.output_files]
    if runner.outputs.get("grade", {}).get("result"):
        texts.append(json.dumps(decode(runner)))
    return "\n".join(texts)


def assert_nothing_leaks(runner: StepRunner, bundle_dir: Path, hidden: dict):
    shown = public_outputs(runner)
    for form in token_forms(TOKEN):
        assert form not in shown, f"the token leaks as {form!r}"
    assert BUNDLE_NAME not in shown and BUNDLE_NAME.split("/")[1] not in shown
    assert str(bundle_dir) not in shown
    assert str(runner.temp / "grader-bundle") not in shown
    found = [where for line, where in hidden.items() if line in guard.normal(shown)]
    assert not found, f"hidden test source in the summary or outputs: {found[:5]}"
    # ... nor on disk, where the student's code (run by the hidden tests)
    # could read it: actions/checkout's credentials are gone.
    for root in (runner.workspace, runner.temp):
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for form in token_forms(TOKEN):
                    assert form.encode() not in data, f"{path} holds the token"


def clone_template(released: Path, tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(released), str(workspace))
    return workspace
