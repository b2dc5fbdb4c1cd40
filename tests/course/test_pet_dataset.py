"""PetDataset on a generated tree in the real Oxford-IIIT Pet layout."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from course_helpers import NUM_CLASSES, PER_CLASS

from dl_in_iot_course.misc.pet_dataset import DatasetError, PetDataset


def test_generated_tree_has_the_real_layout(pets_root):
    assert (pets_root / "images").is_dir()
    trainval = (pets_root / "annotations" / "trainval.txt").read_text().splitlines()
    assert trainval[0].startswith("#")
    entries = [line.split() for line in trainval if not line.startswith("#")]
    assert all(len(fields) == 4 for fields in entries)
    assert {int(fields[1]) for fields in entries} == set(range(1, NUM_CLASSES + 1))
    for name, *_ in entries:
        assert (pets_root / "images" / f"{name}.jpg").is_file()


def test_annotations_are_parsed_with_zero_based_ids(pets):
    assert pets.numclasses == NUM_CLASSES
    assert len(pets.classnames) == NUM_CLASSES
    assert len(pets.dataX) == NUM_CLASSES * PER_CLASS
    assert set(pets.dataY) == set(range(NUM_CLASSES))
    # The class name is the image name without its trailing number, and it
    # matches the (1-based) class id of the annotation line.
    for path, label in zip(pets.dataX, pets.dataY, strict=True):
        assert Path(path).stem.rsplit("_", 1)[0] == pets.classnames[label]
    assert Counter(pets.trainvalY) == {c: 6 for c in range(NUM_CLASSES)}
    assert Counter(pets.testY) == {c: 4 for c in range(NUM_CLASSES)}


def test_comments_and_blank_lines_are_ignored(tmp_path, pets_root):
    root = tmp_path / "tree"
    shutil.copytree(pets_root, root)
    path = root / "annotations" / "test.txt"
    path.write_text("# another comment\n\n" + path.read_text() + "\n   \n")
    dataset = PetDataset(root)
    assert len(dataset.testX) == NUM_CLASSES * 4


def test_split_is_stratified_and_seeded(pets):
    trainX, validX, trainY, validY = pets.split_dataset(0.4)
    assert len(trainX) + len(validX) == len(pets.trainvalX)
    assert not set(trainX) & set(validX)
    # 6 trainval images per class: 40 % -> 2 (rounded) to validation.
    assert Counter(validY) == {c: 2 for c in range(NUM_CLASSES)}
    assert Counter(trainY) == {c: 4 for c in range(NUM_CLASSES)}
    again = pets.split_dataset(0.4)
    assert again[1] == validX
    other = pets.split_dataset(0.4, seed=7)
    assert Counter(other[3]) == Counter(validY)
    assert other[1] != validX


def test_split_with_test_set(pets):
    trainX, testX, trainY, testY = pets.split_dataset(usetest=True)
    assert trainX == pets.trainvalX and testY == pets.testY


def test_test_subset_fraction(pets):
    paths, labels = pets.test_subset(0.5)
    assert Counter(labels) == {c: 2 for c in range(NUM_CLASSES)}
    assert set(paths) <= set(pets.testX)
    assert pets.test_subset(1.0) == (pets.testX, pets.testY)


def test_calibration_generator_yields_model_inputs(pets):
    samples = list(pets.calibration_dataset_generator(0.5))
    assert len(samples) == NUM_CLASSES * 3
    assert all(isinstance(s, list) and s[0].shape == (1, 224, 224, 3) for s in samples)


def test_prepare_input_sample_normalises(pets):
    sample = pets.prepare_input_sample(pets.dataX[0])
    assert sample.shape == (1, 224, 224, 3)
    assert sample.dtype == np.float32
    # ImageNet normalisation: [0, 1] maps to about [-2.1, 2.6].
    assert sample.min() >= -2.2 and sample.max() <= 2.7
    assert pets.prepare_output_sample(2).tolist() == [0, 0, 1, 0]


def test_evaluate_counts_one_sample_once(pets):
    pets.reset_metrics()
    scores = np.zeros((1, NUM_CLASSES))
    scores[0, 1] = 1.0
    pets.evaluate(scores, 1)
    pets.evaluate(scores[0], 3)
    pets.evaluate(np.eye(NUM_CLASSES), np.arange(NUM_CLASSES))
    assert pets.total == 2 + NUM_CLASSES
    assert pets.confusion_matrix.sum() == pets.total
    assert pets.confusion_matrix[3, 1] == 1
    assert pets.get_metrics()["accuracy"] == pytest.approx(5 / 6)
    with pytest.raises(ValueError):
        pets.evaluate(np.eye(NUM_CLASSES), [0])
    pets.reset_metrics()
    assert pets.total == 0


def test_evaluate_takes_the_one_hot_truth_of_the_first_course_version(pets):
    pets.reset_metrics()
    scores = np.zeros((1, NUM_CLASSES))
    scores[0, 2] = 1.0
    pets.evaluate(scores, pets.prepare_output_sample(2))
    pets.evaluate(scores, pets.prepare_output_sample(0))
    assert pets.total == 2
    assert pets.confusion_matrix[2, 2] == 1 and pets.confusion_matrix[0, 2] == 1
    pets.reset_metrics()


def test_missing_tree_says_how_to_fix(tmp_path):
    with pytest.raises(DatasetError) as error:
        PetDataset(tmp_path / "nothing")
    message = str(error.value)
    assert "--download-dataset" in message
    assert "annotations" in message and "tar -xzf" in message


def test_malformed_line_names_file_and_line(tmp_path, pets_root):
    root = tmp_path / "tree"
    shutil.copytree(pets_root, root)
    path = root / "annotations" / "trainval.txt"
    path.write_text(path.read_text() + "broken_line\n")
    with pytest.raises(DatasetError, match=r"trainval\.txt:\d+"):
        PetDataset(root)


def test_missing_images_are_reported(tmp_path, pets_root):
    root = tmp_path / "tree"
    shutil.copytree(pets_root, root)
    first = sorted((root / "images").iterdir())[0]
    first.unlink()
    with pytest.raises(DatasetError, match="missing"):
        PetDataset(root)


def test_the_interfaces_every_course_version_uses(pets, tmp_path):
    """What the template code of the original course relies on.

    Its ``optimize_model`` puts the image paths into ``tf.data`` (text, not
    Path objects) and indexes ``onehotvectors``; its students leave
    ``postprocess_outputs`` to the base class and write into ``logdir``.
    """
    from dl_in_iot_course.misc.modeltester import ModelTester

    trainX, _, trainY, _ = pets.split_dataset(0.4)
    assert all(isinstance(x, str) for x in trainX + pets.testX)
    onehot = pets.onehotvectors[trainY]
    assert onehot.shape == (len(trainY), NUM_CLASSES)
    assert np.array_equal(onehot.argmax(axis=1), trainY)
    assert np.array_equal(pets.onehotvectors[2], pets.prepare_output_sample(2))

    class Runner(ModelTester):
        def prepare_model(self):
            self.ready = True

    runner = Runner(pets, tmp_path / "m.tflite", logdir=tmp_path / "logs" / "run")
    assert (tmp_path / "logs" / "run").is_dir() and runner.ready
    scores = np.ones((1, NUM_CLASSES))
    assert runner.postprocess_outputs(scores) is scores
