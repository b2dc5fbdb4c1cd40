"""Unit tests of the history helpers: patterns, README rules, log parsing, rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.history.config import convention
from grading.history.gitdata import Commit, parse_log
from grading.history.messages import message_issues
from grading.history.patterns import match
from grading.history.readme import forbidden_patterns
from grading.history.scoring import apply_rule, explain


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("build/", "build/results/a.md", "build/"),
        ("build/", "lab/build/x.png", "lab/build/"),
        ("build/", "build", None),  # a file called build is not the folder
        ("__pycache__/", "a/b/__pycache__/c.pyc", "a/b/__pycache__/"),
        ("*.tflite", "models/m.tflite", "models/m.tflite"),
        ("*.tflite", "models/m.tflite.txt", None),
        (".DS_Store", "img/.DS_Store", "img/.DS_Store"),
        ("build/results", "build/results/x.md", "build/results/"),
        ("results/*.md", "results/a.md", "results/a.md"),
        ("results/*.md", "results/sub/a.md", None),
        ("**/*.png", "a/b/c.png", "a/b/c.png"),
        ("*~", "notes.md~", "notes.md~"),
    ],
)
def test_patterns(pattern, path, expected):
    assert match(pattern, path) == expected


def test_readme_sentences_that_forbid_paths():
    text = (
        "# Lab\n\nRun the script; it writes to `build/results`. "
        "Do not commit `build/` or the models (`*.tflite`).\n\n"
        "- Never push `data/*.zip`.\n- Keep `summaries/` tidy.\n"
        "- Do not forget to commit `summaries/img/`. Avoid adding `.onnx` files.\n"
    )
    found = [p for p, _ in forbidden_patterns(text)]
    assert found == ["build/", "*.tflite", "data/*.zip", "*.onnx"]


def test_parse_log_handles_tricky_tokens():
    sha1, sha2 = "a" * 40, "b" * 40
    blob = "c" * 40
    zeros = "0" * 40
    tokens = [
        # Newest commit: a message with tabs and digits that look like
        # numstat, a path that looks like a sha, and a path with a tab.
        sha1,
        "e" * 40,
        sha2,
        "Żaneta",
        "z@x.org",
        "2026-01-01T00:00:00+00:00",
        "l03: Fix 1\t2\tthings\n\nbody\n",
        f"\n:000000 100644 {zeros} {blob} A",
        "d" * 40,
        f":000000 100644 {zeros} {blob} A",
        "dir/a\tb.py",
        f"3\t0\t{'d' * 40}",
        "-\t-\tdir/a\tb.py",
        # An empty commit with an empty message right after.
        sha2,
        "e" * 40,
        "",
        "A",
        "a@x.org",
        "2026-01-01T00:00:00+00:00",
        "",
    ]
    raw = "\0".join(tokens).encode() + b"\0"
    commits = parse_log(raw)
    assert [c.sha for c in commits] == [sha1, sha2]
    first = commits[0]
    assert first.author == "Żaneta" and first.subject == "l03: Fix 1\t2\tthings"
    assert first.tree == "e" * 40 and first.parents == [sha2]
    assert [(c.path, c.added) for c in first.changes] == [
        ("d" * 40, 3),
        ("dir/a\tb.py", None),
    ]
    assert commits[1].message == "" and commits[1].changes == []


def test_rule_caps_shares_and_explains():
    cfg = {
        "deduct": {"generic_message": 0.25, "convention": 0.1},
        "cap": {"generic_message": 0.5},
        "share": {"generic_message": 1.75},
    }
    codes = ["generic_message"] * 3 + ["convention", "unknown"]
    # 3 of 20 commits: the capped deduction (0.5) is more than the share (0.26).
    points, deductions = apply_rule(codes, cfg, 2, commits=20)
    assert points == pytest.approx(1.4)
    text = explain(deductions)
    assert "-0.5 generic_message: 3 x 0.25 (capped)" in text
    assert "unknown" not in text
    # 3 of 4 commits: the share (1.75 x 3/4) is more than the capped deduction.
    points, deductions = apply_rule(codes, cfg, 2, commits=4)
    assert points == pytest.approx(2 - 1.3125 - 0.1, abs=0.005)
    assert "3 commit(s), share x 1.75" in explain(deductions)
    many = apply_rule(["generic_message"] * 40, {"deduct": {"generic_message": 1}}, 2)
    assert many[0] == 0.0


KNOWN_CODES = {
    "invisible_characters",
    "empty_subject",
    "generic_message",
    "convention",
    "subject_too_long",
    "not_imperative",
    "trailing_period",
    "no_blank_line",
}


@settings(max_examples=200, deadline=None)
@given(message=st.text(alphabet=st.characters(blacklist_characters="\0"), max_size=300))
def test_any_message_gives_known_codes(config, message):
    cfg, _points = config
    commit = Commit(
        sha="f" * 40, parents=[], author="A", email="a@x.org", date="", message=message
    )
    for conv_id in ("ours", "course"):
        issues = message_issues(commit, cfg, convention(cfg, conv_id))
        assert {i.code for i in issues} <= KNOWN_CODES
        assert all(i.message and "rebase -i ffffffff^" in i.hint for i in issues)


@settings(max_examples=200, deadline=None)
@given(pattern=st.text(max_size=20), path=st.text(min_size=1, max_size=40))
def test_patterns_never_crash(pattern, path):
    result = match(pattern, path)
    assert result is None or isinstance(result, str)
