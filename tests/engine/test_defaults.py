"""Defaults have one source: the CLI, the batch and the scripts read it."""

from __future__ import annotations

import argparse

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
