"""Fixtures of the answer-assessment tests: the lab 03 rubric data."""

import pytest

from grading.pipeline.rubric import load_rubric
from grading.summary.analysis import lab_data


@pytest.fixture(scope="session")
def rubric():
    """The parsed lab 03 rubric."""
    return load_rubric("l03_pruning_clustering")


@pytest.fixture(scope="session")
def data(rubric):
    """Its ``[summary]`` section."""
    return lab_data(rubric)


@pytest.fixture(scope="session")
def l02_data():
    """The ``[summary]`` section of the lab 02 rubric."""
    return lab_data(load_rubric("l02_quantization"))
