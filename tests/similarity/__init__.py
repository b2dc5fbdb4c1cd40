"""Tests of the similarity step (grading/private/similarity)."""
