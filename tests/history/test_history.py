"""Scripted histories: assert the findings and the points of each."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from grading.checks import CheckContext
from grading.checks import history as history_check
from grading.cli import main
from grading.history import analyze
from grading.pipeline.options import GradeOptions
from grading.pipeline.scoring import score

MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"


def code_lines(n: int, tag: str = "x") -> str:
    """Return ``n`` lines of Python."""
    return "".join(f"{tag}_{i} = {i}\n" for i in range(n))


def codes(report: dict) -> list[str]:
    """All finding codes of a report, sorted."""
    out = [f["code"] for row in report["student_commits"] for f in row["findings"]]
    out += [f["code"] for f in report["repo_findings"]]
    return sorted(out)


def run(repo, config, base=None) -> dict:
    """Analyse ``repo`` and return the JSON report (``to_dict()``)."""
    cfg, points = config
    return analyze(repo.path, cfg, points, base).to_dict()


def item_points(repo_path, rubric, tmp_path, base=None) -> dict:
    ctx = CheckContext(
        submission=repo_path,
        workdir=tmp_path,
        lab=rubric.lab,
        rubric=rubric,
        options=GradeOptions(base=base),
    )
    result = history_check.run(ctx)
    scored = score(rubric, result.findings)
    return next(i for i in scored["items"] if i["id"] == "git_history")


def test_good_history_earns_full_points(make_repo, config, rubric, tmp_path):
    repo = make_repo()
    template = repo.template()
    work = repo.good_work()
    report = run(repo, config)
    assert report["base"]["method"] == "fingerprint"
    assert report["base"]["sha"] == template
    assert [r["sha"] for r in report["student_commits"]] == work[::-1]
    assert codes(report) == []
    assert report["score"] == 2.0
    item = item_points(repo.path, rubric, tmp_path)
    assert item["status"] == "pass" and item["points"] == 2.0


def test_generic_and_badly_formed_messages(make_repo, config, rubric, tmp_path):
    repo = make_repo()
    repo.template()
    repo.good_work()
    for message in ("update", "fix", "wip", "asdf", "."):
        repo.commit(message, {"notes.txt": message})
    repo.commit("Added pruning.", {"notes.txt": "p"})
    repo.commit(
        "l03_pruning_clustering: tune the schedule\nno blank line", {"notes.txt": "q"}
    )
    repo.commit("l03_pruning_clustering: " + "Explain " * 10, {"notes.txt": "r"})
    report = run(repo, config)
    assert codes(report) == sorted(
        ["generic_message"] * 5
        + ["convention", "not_imperative", "trailing_period"]
        + ["convention", "no_blank_line"]
        + ["subject_too_long"]
    )
    # generic: 5 of the 12 commits say nothing, 1.75 x 5/12 (more than
    # 5 x 0.25 capped at 0.5); convention 2 x 0.1; imperative, period, blank
    # line and length once each.
    generic = round(1.75 * 5 / 12, 4)
    assert report["score"] == pytest.approx(
        2 - generic - 0.2 - 0.1 - 0.05 - 0.1 - 0.1, abs=0.005
    )
    bad = next(r for r in report["student_commits"] if r["subject"] == "Added pruning.")
    assert all("rebase -i" in f["hint"] for f in bad["findings"])
    item = item_points(repo.path, rubric, tmp_path)
    assert item["status"] == "partial"
    assert item["points"] == pytest.approx(0.72)
    generic = next(
        f for f in item["findings"] if f["check"] == "history.generic_message"
    )
    assert generic["passed"] is False and "5 commits" in generic["message"]


def test_one_giant_commit_and_a_mixed_commit(make_repo, config):
    repo = make_repo()
    repo.template()
    giant = repo.commit(
        "l03_pruning_clustering: Solve the whole lab",
        {
            MODULE: code_lines(80),
            "summaries/l03_pruning_clustering/README.md": code_lines(40, "s"),
        },
    )
    report = run(repo, config)
    assert codes(report) == ["giant_commit"]
    assert report["student_commits"][0]["sha"] == giant
    assert report["score"] == pytest.approx(1.0)  # the work shows no steps

    repo2 = make_repo("mixed")
    repo2.template()
    repo2.good_work()
    repo2.commit(
        "l03_pruning_clustering: Fix the pruning schedule and its note",
        {
            MODULE: code_lines(3, "fix"),
            "summaries/l03_pruning_clustering/README.md": code_lines(2, "note"),
        },
    )
    report2 = run(repo2, config)
    assert codes(report2) == ["mixed_code_summary"]
    assert report2["score"] == pytest.approx(1.75)


def test_committed_junk_models_and_large_files(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    lfs_pointer = (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:" + b"a" * 64 + b"\nsize 16420000\n"
    )
    junk = repo.commit(
        "l03_pruning_clustering: Add the experiment outputs",
        {
            "build/results/clustered-2-fp32-metrics.md": "| accuracy | 0.8 |\n",
            "build/results/clustered-2-fp32-confusion-matrix.png": b"\x89PNG"
            + b"\0" * 50,
            "models/clustered-2.tflite": b"TFL3" + b"\1" * 300,
            "models/pet.h5": lfs_pointer,
            "dl_in_iot_course/__pycache__/x.cpython-311.pyc": b"\0\1",
            ".DS_Store": b"\0\0\0\1Bud1",
            "data/images.bin": os.urandom(6 * 1024 * 1024),
            "results/table.csv": "a,b\n",
        },
    )
    repo.commit(
        "l03_pruning_clustering: Add a virtual environment by mistake",
        {".venv/pyvenv.cfg": "home = /usr\n"},
    )
    repo.commit(
        "l03_pruning_clustering: Remove the virtual environment", remove=[".venv"]
    )
    report = run(repo, config)
    found = {(f["code"], tuple(f["paths"])) for f in report["repo_findings"]}
    assert found == {
        (
            "junk_committed",
            (
                "build/results/clustered-2-fp32-confusion-matrix.png",
                "build/results/clustered-2-fp32-metrics.md",
            ),
        ),
        ("junk_committed", ("dl_in_iot_course/__pycache__/x.cpython-311.pyc",)),
        ("junk_committed", (".DS_Store",)),
        ("junk_committed", ("results/table.csv",)),  # the README forbids results/
        ("model_file", ("models/clustered-2.tflite",)),
        ("large_file", ("data/images.bin",)),
        ("junk_in_history", (".venv/pyvenv.cfg",)),
    }
    for finding in report["repo_findings"]:
        shas = [c["sha"] for c in finding["commits"]]
        assert shas and (finding["code"] == "junk_in_history" or shas == [junk])
    readme = next(
        f for f in report["repo_findings"] if f["paths"] == ["results/table.csv"]
    )
    assert "README.md asks not to commit" in readme["message"]
    assert "git rm -r --cached results/" in readme["hint"]
    assert report["lfs_files"] == ["models/pet.h5"]  # an LFS pointer is fine
    # junk 4 x 0.25 capped at 0.75, model 0.25, large file 0.5, history 0.1
    assert report["score"] == pytest.approx(2 - 0.75 - 0.25 - 0.5 - 0.1)


def test_merge_noise_from_pull_without_rebase(make_repo, config, tmp_path):
    origin = make_repo("origin")
    origin.template()
    bare = tmp_path / "remote.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(origin.path), str(bare)], check=True
    )
    laptop = make_repo("laptop", init=False)
    desktop = make_repo("desktop", init=False)
    for clone in (laptop, desktop):
        subprocess.run(["git", "clone", "-q", str(bare), str(clone.path)], check=True)
    laptop.commit(
        "l03_pruning_clustering: Implement ClusteredModel", {MODULE: code_lines(20)}
    )
    laptop.commit(
        "l03_pruning_clustering: Implement PrunedModel", {MODULE: code_lines(40)}
    )
    laptop.git("push", "-q", "origin", "main")
    desktop.commit(
        "summaries: Add the deflation table",
        {"summaries/l03_pruning_clustering/README.md": code_lines(10, "d")},
    )
    desktop.git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    report = run(desktop, config)
    merges = [r for r in report["student_commits"] if r["merge"]]
    assert len(merges) == 1 and merges[0]["subject"].startswith(
        "Merge branch 'main' of"
    )
    assert codes(report) == ["merge_noise"]
    assert "pull --rebase" in merges[0]["findings"][0]["hint"]
    assert report["score"] == pytest.approx(1.9)


def test_shallow_clone_is_judged_partially_not_punished(
    make_repo, config, rubric, tmp_path
):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit("update", {"build/out.txt": "x"})
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)],
        check=True,
    )
    report = analyze(shallow, *config).to_dict()
    assert report["shallow"] and report["status"] == "shallow"
    assert report["judged"] == "partial"
    assert any("fetch-depth: 0" in c for c in report["cannot_judge"])
    assert len(report["student_commits"]) == 1
    assert sorted(f["code"] for f in report["student_commits"][0]["findings"]) == [
        "cut_off",
        "generic_message",
    ]
    # Junk at HEAD is still visible; the commit that added it is not known.
    assert [f["paths"] for f in report["repo_findings"]] == [["build/out.txt"]]
    assert report["repo_findings"][0]["commits"][0]["sha"] == "unknown"
    assert "giant_commit" not in codes(report)  # the cut-off commit holds every file
    item = item_points(shallow, rubric, tmp_path)
    assert item["status"] == "manual" and item["points"] == 0.0
    rule = next(f for f in item["findings"] if f["check"] == "history.rule")
    assert rule["code"] == "manual_review" and "provisional 1.5 of 2" in rule["message"]
    assert "fetch-depth: 0" in rule["hint"]


def test_shallow_clone_with_template_files_unchanged(make_repo, config, tmp_path):
    repo = make_repo()
    repo.template()
    repo.commit(
        "summaries: Add the summary",
        {"summaries/l03_pruning_clustering/README.md": code_lines(5)},
    )
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)],
        check=True,
    )
    report = analyze(shallow, *config).to_dict()
    # The cut-off HEAD holds every template file, but it is the student's.
    assert report["status"] == "shallow" and report["base"]["sha"] is None
    assert [r["subject"] for r in report["student_commits"]] == [
        "summaries: Add the summary"
    ]
    assert report["score"] == 2.0  # provisional; the item still waits for a person

    fresh = make_repo("fresh")
    fresh.template()
    cut = tmp_path / "fresh-shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{fresh.path}", str(cut)],
        check=True,
    )
    report = analyze(cut, *config).to_dict()
    # Only the template is visible: not judged as "no commits", not punished.
    assert report["status"] == "shallow" and report["score"] is None
    assert report["base"]["method"] == "fingerprint"
    assert "none is visible" in report["cannot_judge"][0]


def test_fingerprint_survives_rebase_and_reclone(make_repo, config, tmp_path):
    repo = make_repo()
    template = repo.template(author=("GitHub Classroom", "classroom@example.org"))
    repo.commit(
        "Add deadline",
        {".github/deadline.yml": "due: soon\n"},
        author=("github-classroom[bot]", "bot@users.noreply.github.com"),
    )
    repo.commit(
        "summaries: Start the summary",
        {"summaries/l03_pruning_clustering/README.md": "# Summary\n"},
    )
    repo.commit(
        "Add autograding feedback",
        {".github/classroom/autograding.json": "{}"},
        author=("github-classroom[bot]", "bot@users.noreply.github.com"),
    )
    repo.good_work()
    # Rewrite every student commit (new shas), as an interactive rebase does.
    repo.git(
        "rebase", "-q", "--exec", "git commit -q --amend --no-edit --date=now", template
    )
    clone = tmp_path / "reclone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    report = analyze(clone, *config).to_dict()
    assert report["base"]["method"] == "fingerprint"
    # The newest commit whose files are the template's: the bot's deadline
    # commit (files under .github/ do not break the match), not the rebased
    # student commits.
    base = repo.git("log", "-1", "--format=%s", report["base"]["sha"])
    assert base == "Add deadline"
    assert repo.git("rev-parse", f"{report['base']['sha']}~1") == template
    assert [c["subject"] for c in report["ignored_commits"]] == [
        "Add autograding feedback"
    ]
    assert len(report["student_commits"]) == 5  # the summary-only commit counts
    assert report["score"] == 2.0


def test_squashed_history_falls_back_and_says_so(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    tree = repo.git("rev-parse", "HEAD^{tree}")
    squashed = repo.git("commit-tree", tree, "-m", "l03_pruning_clustering: Do it all")
    repo.git("reset", "-q", "--hard", squashed)
    report = run(repo, config)
    assert report["base"]["method"] == "none"
    assert any(
        "no commit matches the template fingerprint" in n
        for n in report["base"]["notes"]
    )
    assert len(report["student_commits"]) == 1
    assert codes(report) == ["giant_commit"]


def test_base_option_and_heuristics_without_fingerprint(
    make_repo, config, rubric, tmp_path
):
    repo = make_repo()
    first = repo.commit("Initial commit", {"README.md": "# Lab\n", MODULE: "pass\n"})
    repo.good_work()
    report = run(repo, config)
    assert report["base"]["method"] == "heuristic"
    assert report["base"]["sha"] == first
    assert "first commit" in report["base"]["explanation"]
    assert len(report["student_commits"]) == 4

    report = run(repo, config, base="HEAD~2")
    assert report["base"]["method"] == "option"
    assert len(report["student_commits"]) == 2
    item = item_points(repo.path, rubric, tmp_path, base="HEAD~2")  # via the check
    rule = next(f for f in item["findings"] if f["check"] == "history.rule")
    assert "2 commit(s) of yours" in rule["message"] and item["points"] == 2.0

    report = run(repo, config, base="no-such-rev")
    assert report["base"]["method"] == "heuristic"
    assert "not a commit" in report["base"]["notes"][0]

    repo2 = make_repo("course-authored")
    course = ("Course Staff", "staff@uni.example.org")
    repo2.commit("course: Add lab 03 stubs", {MODULE: "pass\n"}, author=course)
    last = repo2.commit(
        "course: Add the summary guide",
        {"summaries/README.md": "guide\n"},
        author=course,
    )
    repo2.good_work()
    report2 = run(repo2, config)
    assert report2["base"]["sha"] == last
    assert "come from the course" in report2["base"]["explanation"]


def test_detached_head_and_non_ascii(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit(
        "summaries: Dodaj wyniki — zażółć gęślą jaźń",
        {
            "summaries/l03_pruning_clustering/img/macierz_pomyłek.png": b"\x89PNG",
            "build/wyniki_ąę.md": "ż\n",
        },
    )
    repo.git("checkout", "-q", "--detach", "HEAD")
    report = run(repo, config)
    assert report["detached"] and report["branch"] is None
    assert report["student_commits"][0]["subject"] == (
        "summaries: Dodaj wyniki — zażółć gęślą jaźń"
    )
    assert [f["paths"] for f in report["repo_findings"]] == [["build/wyniki_ąę.md"]]
    json.dumps(report, ensure_ascii=False)


def test_bad_author_and_submodule(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit(
        "l03_pruning_clustering: Tune the learning rate",
        {"notes.txt": "lr\n"},
        author=("root", "root@localhost"),
    )
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/tool")
    repo.commit("l03_pruning_clustering: Add the tool as a submodule")
    report = run(repo, config)
    assert codes(report) == ["bad_author"]
    assert "root@localhost" in report["repo_findings"][0]["message"]
    assert report["submodules"] == ["vendor/tool"]
    assert report["score"] == pytest.approx(1.75)


def test_empty_repository_and_no_student_commits(make_repo, config, rubric, tmp_path):
    empty = make_repo("empty")
    report = run(empty, config)
    assert report["status"] == "empty" and report["score"] == 0.0
    assert codes(report) == ["no_commits"]
    item = item_points(empty.path, rubric, tmp_path)
    assert item["status"] == "fail" and item["points"] == 0.0

    only_template = make_repo("template-only")
    only_template.template()
    report = run(only_template, config)
    assert report["status"] == "no_student_commits" and report["score"] == 0.0


def test_not_a_repository_waits_for_a_person(make_repo, config, rubric, tmp_path):
    plain = tmp_path / "archive"
    plain.mkdir()
    (plain / "README.md").write_text("hi")
    report = analyze(plain, *config).to_dict()
    assert report["status"] == "not_a_repository" and report["score"] is None
    item = item_points(plain, rubric, tmp_path)
    assert item["status"] == "manual"
    # A folder inside another repository is not that repository.
    repo = make_repo()
    repo.template()
    report = analyze(repo.path / "summaries", *config).to_dict()
    assert report["status"] == "not_a_repository"


def test_cli_json_text_and_usage_errors(make_repo, capsys):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit("wip", {"notes.txt": "n"})
    assert main(["history", str(repo.path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "student_commits",
        "repo_findings",
        "score",
        "max_score",
        "rule",
    }
    assert report["student_commits"][0]["findings"][0]["code"] == "generic_message"
    # One commit in five says nothing: 1.75 x 1/5 (more than 0.25).
    assert report["score"] == 1.65 and report["max_score"] == 2.0
    assert main(["history", str(repo.path)]) == 0
    text = capsys.readouterr().out
    assert "decided by fingerprint" in text and "Score: 1.65 / 2" in text
    assert "git rebase -i" in text
    assert main(["history", str(repo.path), "--base", "nope"]) == 2
    assert "--base 'nope' is not a commit" in capsys.readouterr().err
    assert main(["history", str(repo.path), "--lab", "no_such_lab"]) == 2
