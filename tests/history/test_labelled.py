"""The history check against a careful instructor, on the labelled histories.

Every case of ``histories.py`` carries the points an instructor gives,
decided before the check ran; the check must be within 0.25 of each. Forks
of the original course are built from a local clone of the mirror, and
again from a small fake course (the fallback when the mirror is absent), so
that the fallback is itself tested here.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from course_source import CourseSource, fake_source, mirror_source
from histories import CASES, Case
from history_helpers import GitRepo

from grading.history import analyze
from grading.history.course import Catalogue

TOLERANCE = 0.25
FORKS = [c for c in CASES if c.start != "ours"]
OURS = [c for c in CASES if c.start == "ours"]


@pytest.fixture(scope="module", params=["mirror", "fake"])
def source(request, tmp_path_factory) -> CourseSource:
    """The original course: the mirror (or the fake when it is absent), the fake."""
    if request.param == "mirror":
        real = mirror_source()
        if real is not None:
            return real
        print("the course mirror is absent: fork-like cases use the fake course")
    return fake_source(tmp_path_factory.mktemp("course") / "course")


def start_from(case: Case, source: CourseSource | None, where) -> GitRepo:
    """Create the student's repository where the case says it started."""
    if case.start == "ours":
        repo = GitRepo(where)
        repo.template()
        return repo
    key = case.start.removeprefix("copy:")
    subprocess.run(
        ["git", "clone", "-q", "--no-checkout", str(source.origin), str(where)],
        check=True,
    )
    repo = GitRepo(where, init=False)
    repo.git("checkout", "-q", "-B", "main", source.commits[key])
    if case.start.startswith("copy:"):
        # GitHub's "use this template": one new commit with the same files.
        repo.git("checkout", "-q", "--orphan", "fresh")
        repo.commit("Initial commit")
        repo.git("branch", "-q", "-M", "fresh", "main")
    repo.git("remote", "remove", "origin")
    return repo


def judge(case: Case, source: CourseSource | None, tmp_path, config) -> dict:
    repo = start_from(case, source, tmp_path / case.name)
    case.work(repo, source)
    cfg, points = config
    catalogue = source.catalogue if source is not None else Catalogue.load()
    report = analyze(repo.path, cfg, points, catalogue=catalogue).to_dict()
    got = report["score"]
    lost = "; ".join(
        f"-{d['points']:g} {d['code']} x{d['count']}"
        for d in report["deductions"]
        if d["points"]
    )
    where = source.kind if source is not None else "ours"
    print(f"{case.name:30} {where:6} expected {case.expected:4.2f} got {got} ({lost})")
    assert got is not None and abs(got - case.expected) <= TOLERANCE, (
        f"{case.name}: the check gives {got}, the instructor {case.expected} "
        f"({'; '.join(case.reasons) or 'no deduction'}); check: {lost}"
    )
    return report


@pytest.mark.parametrize("case", FORKS, ids=[c.name for c in FORKS])
def test_forks_of_the_course(case, source, tmp_path, config):
    report = judge(case, source, tmp_path, config)
    base = report["base"]
    assert base["convention"] == "course"
    if case.start.startswith("copy:"):
        assert base["method"] == "template_copy" and base["course_commits"] == 0
    else:
        assert base["method"] == "course"
        assert base["sha"] == source.commits[case.start]
        count = subprocess.run(
            ["git", "-C", str(source.origin), "rev-list", "--count", base["sha"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # Every course commit up to the fork point (and those merged later).
        assert base["course_commits"] >= int(count)
        if "upstream" not in case.name:
            assert base["course_commits"] == int(count)
    version = base["version"]
    assert version.endswith(case.start.removeprefix("copy:").split("-")[0]) or (
        version in {v.id for v in source.catalogue.versions}
    )
    own = [r["author"] for r in report["student_commits"]]
    assert all("students.example.org" in a for a in own)


@pytest.mark.parametrize("case", OURS, ids=[c.name for c in OURS])
def test_our_template(case, tmp_path, config):
    report = judge(case, None, tmp_path, config)
    assert report["base"]["method"] == "fingerprint"
    assert report["base"]["convention"] == "ours"


def test_upstream_merges_are_not_the_students(source, tmp_path, config):
    case = next(c for c in CASES if c.name == "fork-2025-upstream-merge")
    report = judge(case, source, tmp_path, config)
    assert report["student_commit_count"] == 3
    why = {c["subject"]: c["why"] for c in report["ignored_commits"]}
    assert (
        "author of the original course"
        in why["l03_pruning_clustering: README: Clarified task order"]
    )
    merge = next(s for s in why if s.startswith("Merge branch"))
    assert "course's own updates" in why[merge]
    assert not any(d["code"] == "merge_noise" for d in report["deductions"])


def test_hidden_characters_never_pay(source, tmp_path, config):
    by_name = {c.name: c for c in CASES}
    hidden = judge(by_name["fork-2025-zero-width"], source, tmp_path, config)
    plain = judge(by_name["fork-2025-zero-width-control"], source, tmp_path, config)
    assert hidden["score"] < plain["score"]
    text = json.dumps(hidden, ensure_ascii=False)
    assert "\u200b" not in text and "\u202e" not in text
    assert "Up\\\\u200bdate" in text  # shown escaped, not hidden


def test_huge_subject_stays_small_in_every_output(tmp_path, config):
    case = next(c for c in CASES if c.name == "ours-huge-subject")
    report = judge(case, None, tmp_path, config)
    size = len(json.dumps(report))
    assert size < 100_000, f"the JSON report has {size} bytes"
    row = report["student_commits"][0]
    assert len(row["subject"]) <= 200
    assert "10,485,760 characters" in row["findings"][0]["message"]
