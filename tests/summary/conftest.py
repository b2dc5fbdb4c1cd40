"""Fixtures of the summary tests: the lab 03 rubric and the fixture folder."""

from pathlib import Path

import pytest

from grading.pipeline.rubric import load_rubric

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def rubric():
    """The parsed lab 03 rubric (with its [summary] section)."""
    return load_rubric("l03_pruning_clustering")


@pytest.fixture
def submission(tmp_path):
    """An empty submission with the lab's summary folder; returns (root, folder)."""
    folder = tmp_path / "repo" / "summaries" / "l03_pruning_clustering"
    folder.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    return tmp_path / "repo", folder
