"""Fixtures of the summary tests: the lab 03 rubric and the fixture folder."""

import dataclasses
from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def rubric():
    """The parsed lab 03 rubric (with its [summary] section).

    The one limit in time, ``max_pdf_seconds``, is raised: these tests check
    what is read, on a machine that may be busy; ``test_hostile`` checks the
    limit itself and ``bench/bench_summary.py`` the times.
    """
    rubric = load_rubric("l03_pruning_clustering")
    sections = dict(rubric.sections)
    sections["summary"] = {**rubric.sections["summary"], "max_pdf_seconds": 60}
    return dataclasses.replace(rubric, sections=sections)


@pytest.fixture
def submission(tmp_path):
    """An empty submission with the lab's summary folder; returns (root, folder)."""
    folder = tmp_path / "repo" / "summaries" / "l03_pruning_clustering"
    folder.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    return tmp_path / "repo", folder
