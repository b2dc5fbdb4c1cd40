"""The embedded default data set, its cache, and the confusion-matrix plot."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dl_in_iot_course.misc import embedded
from dl_in_iot_course.misc.draw import draw_confusion_matrix
from dl_in_iot_course.misc.pet_dataset import PetDataset


@pytest.fixture(scope="module")
def digits_root(cache):
    return embedded.embedded_dataset_root(cache=cache)


def test_embedded_default_is_a_pet_layout_of_digits(digits_root):
    dataset = PetDataset(digits_root)
    assert dataset.classnames == list(embedded.DIGIT_NAMES)
    assert len(dataset.trainvalX) == 180 and len(dataset.testX) == 120
    image = Image.open(dataset.dataX[0])
    assert image.format == "JPEG" and image.mode == "RGB"


def test_embedded_default_is_cached(digits_root, cache):
    stamp = (digits_root / "manifest.json").stat().st_mtime_ns
    assert embedded.embedded_dataset_root(cache=cache) == digits_root
    assert (digits_root / "manifest.json").stat().st_mtime_ns == stamp


def test_damaged_cache_is_rebuilt(tmp_path):
    root = embedded.embedded_dataset_root(per_class=5, cache=tmp_path)
    victim = sorted((root / "images").iterdir())[3]
    victim.write_bytes(b"not a jpeg")
    (root / "annotations" / "test.txt").unlink()
    again = embedded.embedded_dataset_root(per_class=5, cache=tmp_path)
    assert again == root
    assert Image.open(victim).format == "JPEG"
    assert len(PetDataset(again).testX) == 20


def test_cache_dir_honours_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DL_IN_IOT_CACHE", str(tmp_path / "c"))
    assert embedded.cache_dir() == tmp_path / "c"
    assert (tmp_path / "c").is_dir()


@pytest.mark.parametrize("classes", [10, 37])
def test_confusion_matrix_png(tmp_path, classes):
    rng = np.random.default_rng(classes)
    matrix = np.diag(rng.integers(5, 30, classes)) + rng.integers(
        0, 3, (classes, classes)
    )
    names = [f"class_name_{i}" for i in range(classes)]
    out = tmp_path / f"cm-{classes}.png"
    draw_confusion_matrix(matrix, out, f"{classes} classes", names)
    with Image.open(out) as image:
        # Large enough for 37 readable labels, small enough for a summary.
        assert 600 <= image.width <= 2400 and 600 <= image.height <= 2400
        if classes == 37:
            assert image.width >= 1400


def test_confusion_matrix_rejects_wrong_names(tmp_path):
    with pytest.raises(ValueError, match="class names"):
        draw_confusion_matrix(np.eye(3), tmp_path / "x.png", "t", ["a", "b"])
