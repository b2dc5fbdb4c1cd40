"""Fixtures of the course package tests.

The expensive things (a generated data set, a trained tiny model) are built
once per test session under a temporary cache, so the tests do not depend on
or change ``build/embedded`` of the working tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from course_helpers import NUM_CLASSES, PER_CLASS

import dl_in_iot_course  # noqa: F401  (Keras 2 before TensorFlow)


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    """A private cache directory for embedded data and tiny models.

    Passed explicitly (not through ``$DL_IN_IOT_CACHE``) so that tests of other
    areas in the same worker keep the default cache.
    """
    return tmp_path_factory.mktemp("dl-in-iot-cache")


@pytest.fixture(scope="session")
def pets_root(tmp_path_factory) -> Path:
    """A small tree in the Oxford-IIIT Pet layout (4 classes x 10 images)."""
    from dl_in_iot_course.misc.embedded import make_pets_tree

    return make_pets_tree(
        tmp_path_factory.mktemp("pets") / "pets",
        num_classes=NUM_CLASSES,
        per_class=PER_CLASS,
    )


@pytest.fixture(scope="session")
def pets(pets_root):
    """A PetDataset on :func:`pets_root`."""
    from dl_in_iot_course.misc.pet_dataset import PetDataset

    return PetDataset(pets_root)


@pytest.fixture(scope="session")
def tiny_model(pets_root, cache) -> Path:
    """A tiny CNN trained on :func:`pets_root` (a few seconds)."""
    from dl_in_iot_course.misc.embedded import tiny_model_path

    return tiny_model_path(pets_root, epochs=4, cache=cache)
