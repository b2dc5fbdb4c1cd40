"""GitHub workflows: actionlint, and the student workflow's run: steps executed.

The student workflow is run step by step as GitHub's runner would: each
``run:`` script in bash with a fake ``GITHUB_*`` environment, the
``actions/checkout`` of the grader bundle replaced by a copy of a bundle (the
real one released from this repository, or a fake one whose ``grade`` verb
plays a scenario), and a fake token. What lands in the job summary
(``$GITHUB_STEP_SUMMARY``) and the step outputs (``$GITHUB_OUTPUT``) is then
searched for the token (plain, base64 and hex), the bundle's name and place,
and the source of the hidden tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from delivery_helpers import REPO, git
from workflow_runner import (
    STUDENT_WORKFLOW,
    TOKEN,
    StepRunner,
    assert_nothing_leaks,
    clone_template,
    decode,
    public_outputs,
    run_student_workflow,
    student_flow,
    token_forms,
    with_bundle,
)

from grading.private.packaging import guard

WORKFLOWS = [
    STUDENT_WORKFLOW,
    REPO / ".github" / "workflows" / "test.yml",
    REPO / ".github" / "workflows" / "student-image.yml",
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


def test_instructor_workflow_runs_the_readme_commands_on_debian():
    flow = yaml.safe_load(WORKFLOWS[1].read_text())
    job = flow["jobs"]["test"]
    runs = [s.get("run", "") for s in job["steps"]]
    assert "./run lint" in runs and "./run test" in runs
    assert job["container"]["image"].startswith("debian:bookworm")  # Debian's python3


def test_student_workflow_shape():
    flow = student_flow()
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
    bundle = next(s for s in steps if s.get("id") == "bundle")
    assert bundle["with"]["token"] == "${{ secrets.GRADER_BUNDLE_TOKEN }}"
    assert bundle["with"]["repository"] == "${{ vars.GRADER_BUNDLE_REPOSITORY }}"
    assert bundle["with"]["persist-credentials"] is False
    names = [s.get("id") for s in steps]
    assert names.index("own-tests") < names.index("bundle") < names.index("grade")
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert "report.html" in upload["with"]["path"]
    for step in steps:  # no expression is pasted into a script (injection)
        assert "${{" not in step.get("run", "")
    # The token and the bundle's name reach nothing but the checkout: the
    # scripts only learn whether they are set.
    text = WORKFLOWS[0].read_text()
    uses = re.findall(r"\$\{\{\s*(secrets\.\w+|vars\.\w+)([^}]*)\}\}", text)
    for name, rest in uses:
        if rest.strip() != "!= ''":
            assert (name, rest.strip()) in {
                ("secrets.GRADER_BUNDLE_TOKEN", ""),
                ("vars.GRADER_BUNDLE_REPOSITORY", ""),
                ("vars.GRADER_STUDENT_IMAGE", ""),
            }
    assert text.count("secrets.GRADER_BUNDLE_TOKEN }}") == 1
    assert text.count("vars.GRADER_BUNDLE_REPOSITORY }}") == 1
    grade = next(s for s in steps if s.get("id") == "grade")
    # Feedback in the student's own CI runs where bubblewrap cannot start.
    assert "bundle_flags=(--unsafe-no-sandbox)" in grade["run"]
    # The course's student image, when a variable names it, replaces the
    # install (an empty image runs the job on the runner, as before).
    job = flow["jobs"]["grade"]
    assert job["container"]["image"] == "${{ vars.GRADER_STUDENT_IMAGE }}"
    assert text.count("vars.GRADER_STUDENT_IMAGE }}") == 1
    assert job["env"]["HAS_STUDENT_IMAGE"] == "${{ vars.GRADER_STUDENT_IMAGE != '' }}"
    installs = [s for s in steps if s.get("if") == "env.HAS_STUDENT_IMAGE != 'true'"]
    assert installs == [setup] + [
        s for s in steps if "pip install -r requirements.txt" in s.get("run", "")
    ]


def test_student_image_is_built_from_the_release_only():
    flow = yaml.safe_load(WORKFLOWS[2].read_text())
    assert flow[True]["push"]["tags"] == ["v*"]
    steps = flow["jobs"]["image"]["steps"]
    release = next(s for s in steps if "grading release" in s.get("run", ""))
    assert "grading/private" in release["run"]  # refused if the release had it
    build = next(s for s in steps if "build-push-action" in s.get("uses", ""))
    assert build["with"]["context"] == "build/image"  # the release, not the repo
    assert build["with"]["file"] == "Dockerfile.student"
    text = (REPO / "Dockerfile.student").read_text()
    copies = [line for line in text.splitlines() if line.startswith("COPY")]
    assert copies and all(" template/" in c or " bundle/" in c for c in copies)
    # no hidden suite in a layer; root, as GitHub's job containers need
    assert "bundle/grading" not in text and "\nUSER" not in text


@pytest.mark.slow
def test_student_workflow_without_the_bundle(tmp_path, released):
    workspace = clone_template(released, tmp_path)
    summary_dir = workspace / "summaries" / "l03_pruning_clustering"
    summary_dir.mkdir(parents=True)
    (summary_dir / "README.md").write_text("# Lab 03 summary\n\nWork in progress.\n")
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_mine.py").write_text("def test_no():\n    assert 0\n")
    git(workspace, "add", "summaries", "tests")
    git(workspace, "commit", "-q", "-m", "summary: Start the lab 03 summary")
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(token="", name="")
    )

    assert runner.outcomes["bundle"] == "skipped"
    summary = runner.summary.read_text()
    report = (tmp_path / "temp" / "grade" / "report.md").read_text()
    notice = summary.index("**Checks that did not run:** the hidden tests")
    assert notice < summary.index(report[:200])  # said first, then the report
    assert "GRADER_BUNDLE_TOKEN is not set" in summary and "forks" in summary
    assert runner.outputs["grade"]["mode"] == "public"
    assert runner.outputs["grade"]["ended"] == "graded"
    assert runner.outputs["grade"]["rerun"] == "no"
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


def assert_the_hidden_tests_ran(runner) -> None:
    """The bundle's hidden suite ran on the student's code, not only started.

    ``mode`` is set before grading; this reads what the grading did: tests
    collected and run to an outcome, findings of every hidden check, none a
    grader error (a suite that cannot import, say from ``grading.private``).
    """
    full = json.loads((runner.temp / "grade-full" / "results.json").read_text())
    details = full["checks"]["hidden_tests"]["details"]
    assert details["ran"] is True, details
    outcomes = [test["outcome"] for test in details["tests"].values()]
    assert len(outcomes) >= 5, outcomes
    assert "failed" in outcomes  # the template's stubs fail them
    hidden = [
        f
        for i in full["items"]
        for f in i["findings"]
        if f["check"].startswith("hidden.")
    ]
    assert hidden and not [f for f in hidden if f["code"] == "grader_error"]
    assert any(f["passed"] is False for f in hidden)
    logs = "".join(runner.logs.values())
    assert "grading.private" not in logs and "ModuleNotFoundError" not in logs


@pytest.mark.slow
def test_student_workflow_with_the_bundle(tmp_path, released, grader_bundle):
    """The real bundle, a fake token: hidden tests run and nothing leaks."""
    workspace = clone_template(released, tmp_path)
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_mine.py").write_text(
        "def test_ok():\n    assert True\n"
    )
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(), bundle=grader_bundle
    )
    assert runner.outcomes["bundle"] == "success"
    assert runner.outputs["grade"]["mode"] == "full"
    assert runner.outputs["own-tests"]["status"] == "0"
    assert_the_hidden_tests_ran(runner)
    assert not (workspace / ".grader-bundle").exists()  # moved out of the tree
    assert not (tmp_path / "temp" / "grader-bundle" / ".git").exists()
    summary = runner.summary.read_text()
    assert "Checks that did not run" not in summary
    assert "GRADER_TOKEN" not in summary  # no old secret in this repository
    assert summary.startswith("## Score")
    result = decode(runner)
    names = {t["name"] for t in result["tests"]}
    assert any("ClusteredModel" in n for n in names)
    hidden = guard.hidden_secrets(REPO)
    assert len(hidden) > 100
    assert_nothing_leaks(runner, grader_bundle, hidden)
    out = Path(runner.outputs["grade"]["out"])
    for name in ("report.html", "results.json"):  # the uploaded artifact
        text = guard.normal((out / name).read_text())
        assert not [where for line, where in hidden.items() if line in text], name
    suites = REPO / "grading" / "hidden" / "suites"
    test_names = {p.stem for p in suites.rglob("test_*.py")}
    blob = public_outputs(runner) + "".join(runner.logs.values())
    for name in test_names:
        assert name not in blob  # no test file names in public output or logs
    for form in token_forms(TOKEN):
        assert form not in "".join(runner.logs.values())


# ---------------------------------------------------------------------------
# A fake bundle: the released public grader with a `grade` verb that plays a
# scenario (the statuses of its runs, in order) and counts its calls.
# ---------------------------------------------------------------------------

FAKE_GRADE = '''\
"""Stand-in for the bundle's grade verb: plays SCENARIO (one status per run)."""

import json
import sys
from pathlib import Path

NAME = "grade"
HELP = "fake grade"
ROOT = Path(__file__).resolve().parents[2]
MARKER = "assert fake_secret_probe(model) == 4, 'hidden check of the fake suite'"


def register(parser):
    parser.add_argument("submission")
    parser.add_argument("--lab")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--student")
    parser.add_argument("--unsafe-no-sandbox", action="store_true")


def item(ident, title, status, points, max_points, message):
    finding = {"passed": status == "pass", "message": message, "audience": "student"}
    return {"id": ident, "title": title, "points": points, "max_points": max_points,
            "kind": "auto", "status": status, "source": "check",
            "findings": [finding]}


def run(args):
    calls = ROOT / "calls.txt"
    done = len(calls.read_text().split()) if calls.exists() else 0
    calls.write_text(calls.read_text() + " x" if calls.exists() else "x")
    scenario = json.loads((ROOT / "scenario.json").read_text())
    status = scenario[min(done, len(scenario) - 1)]
    # What a careless grader might print: stays in the log, never the summary.
    print(f"hidden suite in {ROOT}: {MARKER}", file=sys.stderr)
    timed = status == "timeout"
    items = [
        item("clustered_model", "ClusteredModel", "timeout" if timed else "pass",
             0.0 if timed else 4.0, 4.0,
             "The hidden tests were stopped by the time limit." if timed
             else "Clustering works."),
        item("git_history", "Git history quality", "pass", 2.0, 2.0, "Fine."),
    ]
    score = sum(i["points"] for i in items)
    results = {"schema": 1, "status": status, "score": score, "max_score": 6.0,
               "lab": args.lab, "items": items}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results))
    (args.out / "report.md").write_text(
        f"## Score {score:g}/6 (run {done + 1}, {status})\\n")
    (args.out / "report.html").write_text("<p>report</p>")
    return 0
'''


def fake_bundle(tmp_path: Path, released: Path, scenario: list[str]) -> Path:
    bundle = tmp_path / "fake-bundle"
    shutil.copytree(released / "grading", bundle / "grading")
    (bundle / "grading" / "commands" / "grade.py").write_text(FAKE_GRADE)
    suite = bundle / "grading" / "hidden" / "suites" / "fake_lab"
    suite.mkdir(parents=True)
    marker = re.search(r'MARKER = "(.*)"', FAKE_GRADE).group(1)
    (suite / "test_fake_probe.py").write_text(
        f"def test_fake_probe(model):\n    {marker}\n"
    )
    (bundle / ".course").mkdir()
    (bundle / ".course" / "bundle.json").write_text('{"course": "fake"}\n')
    (bundle / "scenario.json").write_text(json.dumps(scenario))
    return bundle


def fake_hidden_lines(bundle: Path) -> dict[str, str]:
    suites = bundle / "grading" / "hidden" / "suites"
    return guard.secret_lines(suites, set())


def calls(runner: StepRunner) -> int:
    return len((runner.temp / "grader-bundle" / "calls.txt").read_text().split())


@pytest.mark.slow
def test_a_timeout_is_rerun_once_and_reported_as_an_error(tmp_path, released):
    bundle = fake_bundle(tmp_path, released, ["timeout", "timeout", "graded"])
    workspace = clone_template(released, tmp_path)
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(), bundle=bundle
    )
    assert calls(runner) == 2  # the first run and one rerun, no more
    assert runner.outputs["grade"]["mode"] == "full"
    assert runner.outputs["grade"]["rerun"] == "yes"
    assert runner.outputs["grade"]["ended"] == "timeout"
    assert "running it once more" in runner.logs["grade"]
    summary = runner.summary.read_text()
    assert "**Time limit, twice:**" in summary and "(run 2, timeout)" in summary
    assert "not the same as failed" in summary and "grade of record" in summary
    result = decode(runner)
    assert result["status"] == "error"  # not "fail"
    by = {t["name"]: t for t in result["tests"]}
    assert by["ClusteredModel"]["status"] == "error"
    assert "could not check: time limit" in by["ClusteredModel"]["message"]
    assert by["Git history quality"] == {**by["Git history quality"], "score": 2.0}
    assert result["max_score"] == 6.0
    assert "hidden suite in" in runner.logs["grade"]  # the fake did print it ...
    assert_nothing_leaks(runner, bundle, fake_hidden_lines(bundle))  # ... not here


@pytest.mark.slow
def test_a_timeout_that_passes_on_the_rerun_is_graded(tmp_path, released):
    bundle = fake_bundle(tmp_path, released, ["timeout", "graded"])
    workspace = clone_template(released, tmp_path)
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(old_token="ghp_old"), bundle=bundle
    )
    assert calls(runner) == 2
    assert runner.outputs["grade"]["ended"] == "graded"
    summary = runner.summary.read_text()
    assert "the result below is from the second run" in summary
    assert "(run 2, graded)" in summary and "Time limit, twice" not in summary
    assert "the secret GRADER_TOKEN is still set" in summary  # tell the staff
    assert "ghp_old" not in public_outputs(runner)
    result = decode(runner)
    assert result["status"] == "pass" and result["tests"][0]["score"] == 4.0
    assert_nothing_leaks(runner, bundle, fake_hidden_lines(bundle))


@pytest.mark.slow
def test_a_graded_run_is_not_rerun(tmp_path, released):
    bundle = fake_bundle(tmp_path, released, ["graded"])
    workspace = clone_template(released, tmp_path)
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(), bundle=bundle
    )
    assert calls(runner) == 1
    assert runner.outputs["grade"]["rerun"] == "no"
    assert "once more" not in runner.summary.read_text()


@pytest.mark.slow
def test_the_instructor_repository_is_refused_as_a_bundle(tmp_path, released):
    """A variable pointing at the instructor repository: public checks only."""
    instructor = tmp_path / "instructor"
    shutil.copytree(released / "grading", instructor / "grading")
    (instructor / "grading" / "private" / "reference").mkdir(parents=True)
    (instructor / "grading" / "hidden" / "suites").mkdir(parents=True)
    workspace = clone_template(released, tmp_path)
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(), bundle=instructor
    )
    assert runner.outputs["grade"]["mode"] == "public"
    summary = runner.summary.read_text()
    assert "is not a grader bundle" in summary
    assert not (tmp_path / "temp" / "grader-bundle").exists()  # removed at once
    assert_nothing_leaks(runner, instructor, {})


@pytest.mark.slow
def test_a_token_that_cannot_read_the_bundle(tmp_path, released):
    workspace = clone_template(released, tmp_path)
    runner = run_student_workflow(
        workspace, tmp_path / "temp", with_bundle(), checkout=False
    )
    assert runner.outcomes["bundle"] == "failure"
    assert runner.outputs["grade"]["mode"] == "public"
    assert "could not be checked out" in runner.summary.read_text()
    assert_nothing_leaks(runner, tmp_path / "nowhere", {})
