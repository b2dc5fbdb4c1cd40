"""Defaults have one source: the CLI, the batch and the scripts read it."""

from __future__ import annotations

import argparse
import tomllib

import pytest

from grading.pipeline import rubric
from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT, GradeOptions
from grading.private.cohort.session import BatchRequest


def verb_defaults(verb: str) -> dict:
    from grading.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a.default for a in sub.choices[verb]._actions}


def test_grade_threads_default_is_grade_options():
    assert verb_defaults("grade")["threads"] == GradeOptions().threads


def test_batch_timeout_default_has_one_source():
    assert verb_defaults("batch")["timeout"] == DEFAULT_BATCH_TIMEOUT
    assert BatchRequest.__dataclass_fields__["timeout"].default == DEFAULT_BATCH_TIMEOUT


def test_one_rubric_names_the_default_lab():
    marked = [
        path.stem
        for path in sorted(rubric.LABS_DIR.glob("*.toml"))
        if tomllib.loads(path.read_text()).get("default") is True
    ]
    assert len(marked) == 1
    assert rubric.default_lab() == marked[0]
    assert verb_defaults("summary")["lab"] == marked[0]
    assert verb_defaults("batch")["lab"] == marked[0]


def test_default_lab_follows_the_rubric_files(fake_lab):
    assert rubric.default_lab() == ""  # two labs, neither marked
    text = (fake_lab / "lab_b.toml").read_text()
    (fake_lab / "lab_b.toml").write_text(
        text.replace("schema = 1", "default = true\nschema = 1", 1)
    )
    (fake_lab / "lab_a.toml").write_text("not toml [")
    assert rubric.default_lab() == "lab_b"
    assert "default" not in rubric.load_rubric("lab_b").sections
    (fake_lab / "lab_a.toml").unlink()
    (fake_lab / "lab_b.toml").write_text(text)
    assert rubric.default_lab() == "lab_b"  # the only lab


def test_a_default_that_is_not_a_boolean_is_refused(fake_lab):
    path = fake_lab / "lab_a.toml"
    path.write_text(
        path.read_text().replace("schema = 1", 'default = "yes"\nschema = 1', 1)
    )
    with pytest.raises(rubric.RubricError, match="'default' must be true or false"):
        rubric.load_rubric("lab_a")
