"""What is released to students carries nothing of the similarity step."""

from __future__ import annotations

import tomllib

from grading.pipeline.rubric import rubric_path
from grading.private.packaging import public_rubric

LAB = "l03_pruning_clustering"


def test_released_rubric_has_no_similarity_section():
    assert "similarity" not in public_rubric(rubric_path(LAB))
    assert "similarity" in tomllib.loads(rubric_path(LAB).read_text())
