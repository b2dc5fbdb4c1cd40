"""Hostile histories: hidden characters, huge inputs, reading limits."""

from __future__ import annotations

import json
import subprocess

import pytest

from grading.cli import main
from grading.history import analyze
from grading.history.config import convention
from grading.history.feedback import to_findings
from grading.history.gitdata import Commit
from grading.history.messages import message_issues

MODULE = "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"


def with_limits(config, **limits):
    cfg, points = config
    return {**cfg, "limits": {**cfg.get("limits", {}), **limits}}, points


def codes_of(message: str, config, conv: str = "ours") -> list[str]:
    cfg, _points = config
    commit = Commit("f" * 40, [], "A", "a@x.org", "", message)
    return sorted(i.code for i in message_issues(commit, cfg, convention(cfg, conv)))


@pytest.mark.parametrize(
    "message",
    [
        "Up\u200bdate",  # zero-width space
        "u\u200dp\u200cdate",  # zero-width joiner and non-joiner
        "\u202eetadpu",  # right-to-left override: reads 'update' reversed
        "\ufeffWIP",  # byte-order mark
        "ＷＩＰ",  # fullwidth letters: NFKC makes them WIP
        "f\u00adix",  # soft hyphen
    ],
)
def test_hidden_characters_do_not_dodge_the_generic_rule(message, config):
    found = codes_of(message, config)
    if "ＷＩＰ" in message:
        assert found == ["generic_message"]  # NFKC only, nothing invisible
    elif "etadpu" in message:
        assert "invisible_characters" in found  # the override itself is found
    else:
        assert found == ["generic_message", "invisible_characters"]


def test_one_word_and_vague_fix_subjects_say_nothing(config):
    for message in ("pruning", "fix", "l03_pruning_clustering: fix bug", "small fix"):
        assert codes_of(message, config) == ["generic_message"], message
    for message in ("WIP: pruning", "wip pruning schedule", "lab 3 done"):
        assert codes_of(message, config) == ["generic_message"], message
    assert codes_of("README.md: Fix typo", config, "course") == []
    assert codes_of("l03_pruning_clustering: Fix the pruning schedule", config) == []


def test_course_subjects_pass_the_course_convention(config):
    ok = [
        "l03_pruning_clustering: README: Updated links to resources",
        "summaries: l03_pruning_clustering: Add the deflation table",
        "l03_pruning_clustering: Implemented ClusteredModel",
        "GH Actions: Added jobs for linting",
        "requirements.txt: Lifted limits for TensorFlow packages",
    ]
    for subject in ok:
        assert codes_of(subject, config, "course") == [], subject
    # Our README teaches one area and the imperative.
    assert codes_of(ok[0], config) == ["convention", "not_imperative"]
    assert codes_of("l03_pruning_clustering: Adding pruning", config, "course") == [
        "not_imperative"
    ]


def test_paths_and_authors_with_hidden_characters(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit(
        "l03_pruning_clustering: Add the results \x1b[31mnow",
        {"bu\u200bild/out.txt": "x\n"},
        author=("ro\u200bot", "root@local\u200bhost"),
    )
    report = analyze(repo.path, *config).to_dict()
    found = {f["code"]: f for f in report["repo_findings"]}
    assert found["junk_committed"]["paths"] == ["bu\\u200bild/out.txt"]
    assert "bad_author" in found
    row = report["student_commits"][0]
    assert row["subject"].endswith("\\u001b[31mnow")
    assert "invisible_characters" in [f["code"] for f in row["findings"]]
    text = json.dumps(report, ensure_ascii=False)
    assert "\u200b" not in text and "\x1b" not in text


def test_too_many_commits_are_refused_naming_the_limit(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    cfg, points = with_limits(config, max_commits=4)
    report = analyze(repo.path, cfg, points)
    assert report.status == "too_large" and report.score is None
    assert "max_commits" in report.repo_findings[0].message
    assert "more than 4 commits" in report.cannot_judge[0]
    rule = to_findings(report, "git_history")[0]
    assert rule.code == "manual_review" and rule.passed is None
    assert "max_commits" in rule.message


def test_a_log_over_the_byte_limit_is_refused(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    cfg, points = with_limits(config, max_log_mb=0.001)
    report = analyze(repo.path, cfg, points)
    assert report.status == "too_large"
    assert (
        "0.001 MB" in report.cannot_judge[0] and "max_log_mb" in report.cannot_judge[0]
    )


@pytest.mark.parametrize(
    ("limit", "value", "words"),
    [
        ("max_changes", 3, "more than the 3 the grader reads"),
        ("max_diff_mb", 0.0005, "more than the 0.0005 MB the grader reads"),
    ],
)
def test_too_much_to_diff_is_refused_before_diffing(
    make_repo, config, limit, value, words
):
    repo = make_repo()
    repo.template()
    repo.good_work()
    cfg, points = with_limits(config, **{limit: value})
    report = analyze(repo.path, cfg, points)
    assert report.status == "too_large"
    assert (
        words in report.cannot_judge[0] and f"(limit {limit})" in report.cannot_judge[0]
    )


def test_a_slow_git_call_is_stopped_naming_the_limit(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    cfg, points = with_limits(config, max_seconds=0.000001)
    report = analyze(repo.path, cfg, points)
    assert report.status == "too_large"
    assert "max_seconds" in report.cannot_judge[0]


def test_big_files_are_not_diffed(make_repo, config):
    repo = make_repo()
    repo.template()
    repo.good_work()
    big = "".join(f"row {i}\n" for i in range(400_000))  # 4.5 MB of text
    repo.commit("l03_pruning_clustering: Add the raw predictions", {"preds.txt": big})
    report = analyze(repo.path, *config).to_dict()
    # Not diffed (over diff_file_mb): no line counts, so no giant commit.
    assert [f["code"] for r in report["student_commits"] for f in r["findings"]] == []
    assert report["score"] == 2.0


def test_cli_output_of_a_hostile_history_is_capped(make_repo, capsys):
    repo = make_repo()
    repo.template()
    repo.good_work()
    repo.commit("\u202e" + "B" * 3_000_000, {"notes.txt": "n\n"})
    assert main(["history", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert len(out) < 20_000 and "\u202e" not in out and "\\u202e" in out
    assert main(["history", str(repo.path), "--json"]) == 0
    assert len(capsys.readouterr().out) < 50_000


def test_many_commits_are_listed_up_to_the_cap(make_repo, config, tmp_path):
    repo = make_repo()
    repo.template()
    stream = bytearray()
    for i in range(620):
        message = f"l03_pruning_clustering: Add step {i}\n".encode()
        stream += b"commit refs/heads/main\n"
        stream += b"committer Ada <ada@students.example.org> %d +0000\n" % (
            1_800_000_000 + i
        )
        stream += b"data %d\n%s\n" % (len(message), message)
        if i == 0:
            stream += b"from refs/heads/main^0\n"
        stream += b"M 100644 inline step_%d.txt\ndata 2\nx\n\n" % i
    subprocess.run(
        ["git", "-C", str(repo.path), "fast-import", "--quiet"],
        input=bytes(stream),
        check=True,
    )
    report = analyze(repo.path, *config).to_dict()
    assert report["student_commit_count"] == 620
    assert len(report["student_commits"]) == 500
