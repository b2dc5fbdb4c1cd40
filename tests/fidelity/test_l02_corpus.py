"""Grade the lab 02 corpus and compare every automatic item with the instructor.

One grading per submission (hidden tests in the sandbox, summary, history:
about 20 s each here), made once per session and shared by the tests. The
points an instructor gives are in ``l02_corpus.py``, written before the
grader ran; every automatic item must be within 0.25 of them.
"""

from __future__ import annotations

import os

import pytest
from corpus_build import CACHE, TOLERANCE, build, need_mirror
from l02_corpus import (
    AUTO_ITEMS,
    CODE_ITEMS,
    FULL_MARKS,
    LAB,
    NOT_ASKED,
    SUBMISSIONS,
    WITHOUT_PLATFORM,
)

NAMES = [s.name for s in SUBMISSIONS]


def grade(repo, out):
    from grading.pipeline.engine import grade as engine_grade
    from grading.pipeline.options import GradeOptions

    options = GradeOptions(hidden_tests_cache=CACHE, check_environment=False)
    return engine_grade(repo, LAB, out, options=options)


@pytest.fixture(scope="session")
def graded(tmp_path_factory, template):
    """name -> results.json of each submission, graded on first use."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            sub = next(s for s in SUBMISSIONS if s.name == name)
            need_mirror(sub)
            base = tmp_path_factory.mktemp(f"l02-{name}")
            # The first versions keep the course's model in Git LFS, which
            # this machine cannot download: a student's clone has a pointer.
            os.environ["GIT_LFS_SKIP_SMUDGE"] = "1"
            try:
                repo = build(sub, base / name, template)
            finally:
                os.environ.pop("GIT_LFS_SKIP_SMUDGE", None)
            cache[name] = grade(repo, base / "out")
        return cache[name]

    return get


def test_every_submission_states_the_instructors_points():
    assert len(SUBMISSIONS) >= 5 and len(set(NAMES)) == len(NAMES)
    for sub in SUBMISSIONS:
        assert set(sub.expected) == set(AUTO_ITEMS), sub.name
        for item, (points, reason) in sub.expected.items():
            if points is NOT_ASKED:
                assert reason, (sub.name, item)
                continue
            assert 0 <= points <= AUTO_ITEMS[item], (sub.name, item)
            assert bool(reason) == (points < AUTO_ITEMS[item]), (sub.name, item)
    assert any(s.expected["hardware"][0] is NOT_ASKED for s in SUBMISSIONS)


def test_the_platform_is_asked_from_the_readme_that_added_it():
    from grading.pipeline.rubric import load_rubric
    from grading.versions import versions_of

    asks = {v.id: v.asks(LAB) for v in versions_of(LAB)}
    before = ("antmicro-2021-10", "antmicro-2024-03", "antmicro-2025-03-17")
    assert all("hardware" not in asks[v] for v in (*before, "antmicro-2025-03-22"))
    for version in ("ours", "antmicro-2025-03-22-tasks", "antmicro-2025-03-29"):
        assert "hardware" in asks[version], version
    tasks = next(v for v in versions_of(LAB) if v.id == "antmicro-2025-03-22-tasks")
    assert tasks.commit.startswith("ab4f203")
    rubric = load_rubric(LAB)
    assert {i.id for i in rubric.items if i.requires == "hardware"} == {
        "target_platform",
        "hardware",
    }
    assert rubric.max_score == WITHOUT_PLATFORM
    assert sum(i.points for i in rubric.items) == FULL_MARKS


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_automatic_items_match_the_instructor(graded, name):
    results = graded(name)
    sub = next(s for s in SUBMISSIONS if s.name == name)
    got = {item["id"]: item for item in results["items"]}
    wrong = []
    asked = sub.expected["hardware"][0] is not NOT_ASKED
    assert results["max_score"] == (FULL_MARKS if asked else WITHOUT_PLATFORM)
    for item, (points, reason) in sub.expected.items():
        if points is NOT_ASKED:
            assert item not in got and "target_platform" not in got, (name, item)
            continue
        entry = got[item]
        assert entry["status"] != "manual", (name, item, entry["findings"])
        if abs(float(entry["points"]) - points) > TOLERANCE:
            failed = [f["message"][:200] for f in entry["findings"] if not f["passed"]]
            wrong.append((item, points, entry["points"], reason, failed))
    assert not wrong, wrong


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("untouched")])
def test_untouched_stubs_say_what_is_not_implemented(graded, name):
    """Zero on every code item, each with a failed finding that says why."""
    got = {item["id"]: item for item in graded(name)["items"]}
    for item in CODE_ITEMS:
        assert got[item]["points"] == 0, (item, got[item]["points"])
        failed = [f for f in got[item]["findings"] if f["passed"] is False]
        assert failed and all(f["message"] for f in failed), item
    for item in ("fp32_model", "int8_model", "imbalanced_int8_model"):
        codes = {f["code"] for f in got[item]["findings"]}
        assert "not_implemented" in codes, (item, codes)
