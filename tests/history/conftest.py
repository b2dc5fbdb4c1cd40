"""Fixtures of the history tests: scripted repositories and the lab's rule."""

from __future__ import annotations

import pytest
from history_helpers import GitRepo

from grading.history import load_config
from grading.pipeline.rubric import load_rubric


@pytest.fixture
def make_repo(tmp_path):
    """Factory: ``make_repo("name")`` returns a new empty :class:`GitRepo`."""

    def factory(name: str = "repo", init: bool = True) -> GitRepo:
        return GitRepo(tmp_path / name, init=init)

    return factory


@pytest.fixture(scope="session")
def rubric():
    return load_rubric("l03_pruning_clustering")


@pytest.fixture(scope="session")
def config(rubric):
    cfg, _item, points = load_config(rubric)
    return cfg, points
