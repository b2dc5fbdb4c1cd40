"""The Oxford-IIIT Pet data set: download, annotations, splits and evaluation.

The data set has 37 cat and dog breeds. On disk it looks like this (the layout
of the official archives, which this class downloads and extracts)::

    ROOT/images/Abyssinian_1.jpg ...           one JPEG per image
    ROOT/annotations/trainval.txt              "NAME CLASS-ID SPECIES BREED-ID"
    ROOT/annotations/test.txt                  same format, the test split

Class ids in the annotation files start at 1; this class uses 0-based ids
everywhere else. Lines starting with ``#`` are comments. The class name is the
image name without its trailing ``_<number>``.

The embedded default data set (:mod:`dl_in_iot_course.misc.embedded`) uses the
same layout, so everything here works on it unchanged.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from dl_in_iot_course.misc import metrics


class DatasetError(RuntimeError):
    """The data set is missing, incomplete or malformed; the message says why."""


class DatasetDownloadError(DatasetError):
    """Downloading or unpacking the data set failed; the message says what to do."""


@dataclass(frozen=True)
class Resource:
    """One archive of the data set: where it is and how to check it."""

    url: str
    filename: str
    md5: str | None = None
    size: int | None = None


OXFORD_PETS_RESOURCES: tuple[Resource, ...] = (
    Resource(
        "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
        "images.tar.gz",
        md5="5c4f3ee8e5d25df40f4fd59a7f44e54c",
    ),
    Resource(
        "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
        "annotations.tar.gz",
        md5="95a8c909bbe2e81eed6a22bccdf3f68f",
    ),
)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _manual_instructions(root: Path, resources: Sequence[Resource]) -> str:
    names = " and ".join(r.filename for r in resources)
    urls = "\n".join(f"  {r.url}" for r in resources)
    return (
        f"To install the data set by hand, download {names} on a machine with "
        f"internet access:\n{urls}\nthen extract them into {root} so that "
        f"{root / 'images'}/*.jpg and {root / 'annotations' / 'trainval.txt'} "
        f"exist (tar -xzf images.tar.gz -C {root}; tar -xzf annotations.tar.gz "
        f"-C {root}). Without --dataset-root the labs use the small embedded "
        f"data set, which needs no download."
    )


def download_file(
    url: str,
    destination: str | os.PathLike,
    md5: str | None = None,
    size: int | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``destination`` with resume, checks and retries.

    The data goes to ``destination + ".part"`` first. An interrupted download
    resumes from where it stopped (HTTP range request); a file that arrives
    with the wrong size or checksum is deleted and downloaded again from the
    start. The file is renamed to ``destination`` only once it is complete.

    Parameters
    ----------
    url : str
        Address of the file.
    destination : path-like
        Final path of the file.
    md5 : str, optional
        Expected MD5 hex digest.
    size : int, optional
        Expected size in bytes (the server's Content-Length is checked too).
    retries : int
        Attempts in total before giving up.
    timeout : float
        Seconds to wait for the server on each read.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pathlib.Path
        The downloaded file.

    Raises
    ------
    DatasetDownloadError
        When every attempt failed; the message names the last reason.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists() and _file_ok(destination, md5, size):
        return destination
    partial = destination.with_name(destination.name + ".part")
    last_error = "no attempt made"
    for _attempt in range(max(1, retries)):
        try:
            expected = _fetch(url, partial, timeout, progress)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            # Network trouble: keep the partial file and resume next time,
            # unless the server refused the request outright.
            last_error = f"{type(error).__name__}: {error}"
            if isinstance(error, urllib.error.HTTPError) and error.code != 416:
                partial.unlink(missing_ok=True)
                if error.code in (403, 404, 410):
                    break
            if isinstance(error, urllib.error.HTTPError) and error.code == 416:
                partial.unlink(missing_ok=True)
            continue
        want_size = size if size is not None else expected
        got_size = partial.stat().st_size
        if want_size is not None and got_size < want_size:
            last_error = f"got {got_size} of {want_size} bytes (connection cut)"
            continue  # resume
        if (want_size is not None and got_size != want_size) or (
            md5 is not None and _md5(partial) != md5
        ):
            last_error = (
                f"{destination.name} is damaged (size {got_size} bytes"
                + (f", expected {want_size}" if want_size is not None else "")
                + (", checksum mismatch" if md5 is not None else "")
                + ")"
            )
            partial.unlink(missing_ok=True)  # start again from scratch
            continue
        partial.replace(destination)
        return destination
    raise DatasetDownloadError(
        f"could not download {url} to {destination}: {last_error}"
    )


def _file_ok(path: Path, md5: str | None, size: int | None) -> bool:
    if size is not None and path.stat().st_size != size:
        return False
    return md5 is None or _md5(path) == md5


def _fetch(url: str, partial: Path, timeout: float, progress: bool) -> int | None:
    """Append the missing bytes of ``url`` to ``partial``; return the full size."""
    start = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url)
    if start:
        request.add_header("Range", f"bytes={start}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None else None
        if start and response.status == 206:
            mode, total = "ab", (start + length if length is not None else None)
        else:
            mode, start, total = "wb", 0, length
        with (
            open(partial, mode) as out,
            tqdm(
                total=total,
                initial=start,
                unit="B",
                unit_scale=True,
                desc=partial.name.removesuffix(".part"),
                disable=not progress,
            ) as bar,
        ):
            while True:
                try:
                    chunk = response.read(1 << 16)
                except (http.client.IncompleteRead, TimeoutError) as error:
                    if isinstance(error, http.client.IncompleteRead):
                        out.write(error.partial)
                    break
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))
    return total


def _safe_members(tar: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    """Return the regular files and folders of ``tar`` that stay inside ``root``.

    Used where ``tarfile``'s ``filter="data"`` is missing (Python before
    3.11.4): links, devices and paths escaping ``root`` are refused.
    """
    base = root.resolve()
    members = []
    for member in tar.getmembers():
        target = (base / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not target.is_relative_to(base):
            raise tarfile.TarError(f"refusing unsafe archive member {member.name!r}")
        member.mode = (member.mode | 0o600) & 0o755
        members.append(member)
    return members


def _extract(archive: Path, root: Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, filter="data")
            else:
                tar.extractall(root, members=_safe_members(tar, root))
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise DatasetDownloadError(
            f"could not unpack {archive}: {error}. Delete it and run again with "
            f"--download-dataset to fetch a fresh copy."
        ) from error


class PetDataset:
    """The Oxford-IIIT Pet data set (or any tree in its layout).

    Parameters
    ----------
    root : path-like
        Directory holding ``images/`` and ``annotations/``.
    download_dataset : bool
        Download and extract the official archives into ``root`` first, unless
        the tree is already complete.
    resources : sequence of Resource, optional
        Archives to download (defaults to the official ones).

    Attributes
    ----------
    dataX, dataY : list
        Image paths (as ``str``) and 0-based class ids of every annotated
        image (``trainval`` first, then ``test``).
    trainvalX, trainvalY, testX, testY : list
        The same, per official split.
    classnames : list of str
        Class name of each 0-based class id.
    numclasses : int
        Number of classes.
    onehotvectors : numpy.ndarray
        Identity matrix of ``numclasses`` rows: row ``i`` is the one-hot
        vector of class ``i``.
    mean, std : numpy.ndarray
        Per-channel normalisation applied by :meth:`prepare_input_sample`.
    """

    IMAGE_SIZE = (224, 224)
    MEAN = (0.485, 0.456, 0.406)
    STD = (0.229, 0.224, 0.225)

    def __init__(
        self,
        root: str | os.PathLike,
        download_dataset: bool = False,
        resources: Sequence[Resource] | None = None,
    ):
        self.root = Path(root)
        self.resources = tuple(resources or OXFORD_PETS_RESOURCES)
        self.mean = np.array(self.MEAN, dtype=np.float32)
        self.std = np.array(self.STD, dtype=np.float32)
        if download_dataset:
            self.download_dataset()
        self.prepare()
        self.reset_metrics()

    # ------------------------------------------------------------------ files
    def is_complete(self) -> bool:
        """Tell whether ``images/`` and both annotation files exist."""
        return (
            (self.root / "images").is_dir()
            and (self.root / "annotations" / "trainval.txt").is_file()
            and (self.root / "annotations" / "test.txt").is_file()
        )

    def download_dataset(self, progress: bool = True) -> None:
        """Download and extract the archives into ``root`` if needed.

        Raises
        ------
        DatasetDownloadError
            When a download or extraction fails; the message explains how to
            place the files by hand.
        """
        if self.is_complete():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        downloads = self.root / "downloads"
        for resource in self.resources:
            try:
                archive = download_file(
                    resource.url,
                    downloads / resource.filename,
                    md5=resource.md5,
                    size=resource.size,
                    progress=progress,
                )
            except DatasetDownloadError as error:
                raise DatasetDownloadError(
                    f"{error}\n{_manual_instructions(self.root, self.resources)}"
                ) from None
            _extract(archive, self.root)
        if not self.is_complete():
            raise DatasetDownloadError(
                f"the archives did not produce the expected layout in {self.root}.\n"
                + _manual_instructions(self.root, self.resources)
            )

    def _parse_annotations(self, path: Path) -> list[tuple[str, int]]:
        entries = []
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                fields = line.split()
                try:
                    name, class_id = fields[0], int(fields[1])
                except (IndexError, ValueError):
                    raise DatasetError(
                        f"{path}:{number}: expected 'NAME CLASS-ID SPECIES "
                        f"BREED-ID', got {line!r}"
                    ) from None
                if class_id < 1:
                    raise DatasetError(
                        f"{path}:{number}: class ids start at 1, got {class_id}"
                    )
                entries.append((name, class_id - 1))
        return entries

    def prepare(self) -> None:
        """Read the annotation files and fill the attributes.

        Raises
        ------
        DatasetError
            When files are missing or the annotations are inconsistent.
        """
        if not self.is_complete():
            raise DatasetError(
                f"no Oxford-IIIT Pet data set in {self.root} (need images/ and "
                f"annotations/trainval.txt, annotations/test.txt). Add "
                f"--download-dataset to fetch it, or leave out --dataset-root to "
                f"use the embedded default.\n"
                + _manual_instructions(self.root, self.resources)
            )
        names: dict[int, str] = {}
        splits = {}
        missing = []
        for split in ("trainval", "test"):
            path = self.root / "annotations" / f"{split}.txt"
            xs, ys = [], []
            for name, class_id in self._parse_annotations(path):
                classname = name.rsplit("_", 1)[0]
                known = names.setdefault(class_id, classname)
                if known.lower() != classname.lower():
                    raise DatasetError(
                        f"{path}: class id {class_id + 1} is used for both "
                        f"{known!r} and {classname!r}"
                    )
                image = self.root / "images" / f"{name}.jpg"
                if not image.is_file():
                    missing.append(image.name)
                    continue
                # Paths are kept as text, as the course's code has always had
                # them: tf.data takes text but not Path objects.
                xs.append(str(image))
                ys.append(class_id)
            splits[split] = (xs, ys)
        if missing:
            shown = ", ".join(missing[:5])
            raise DatasetError(
                f"{len(missing)} annotated images are missing from "
                f"{self.root / 'images'} (e.g. {shown}); the extraction was "
                f"probably interrupted. Delete {self.root} and download again."
            )
        if not names:
            raise DatasetError(f"the annotation files in {self.root} list no images")
        self.numclasses = max(names) + 1
        gaps = [i + 1 for i in range(self.numclasses) if i not in names]
        if gaps:
            raise DatasetError(
                f"class ids {gaps} never occur in {self.root / 'annotations'}; "
                f"ids must run from 1 to {self.numclasses} without gaps"
            )
        self.classnames = [names[i] for i in range(self.numclasses)]
        # Row i is the one-hot vector of class i (what prepare_output_sample
        # returns); template code of every course version indexes it.
        self.onehotvectors = np.eye(self.numclasses, dtype=np.float32)
        self.trainvalX, self.trainvalY = splits["trainval"]
        self.testX, self.testY = splits["test"]
        self.dataX = self.trainvalX + self.testX
        self.dataY = self.trainvalY + self.testY

    def get_data(self) -> tuple[list[str], list[int]]:
        """Return the image paths and 0-based class ids of every image."""
        return self.dataX, self.dataY

    # ----------------------------------------------------------------- splits
    @staticmethod
    def stratified_indices(
        labels: Sequence[int], fraction: float, seed: int = 12345
    ) -> tuple[np.ndarray, np.ndarray]:
        """Split indices per class: ``fraction`` of each class goes to the second part.

        Every class with at least two samples keeps at least one sample in
        each part. The result depends only on the labels, fraction and seed.

        Returns
        -------
        tuple of numpy.ndarray
            Sorted indices of the first part and of the second part.
        """
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        labels = np.asarray(labels)
        rng = np.random.default_rng(seed)
        first, second = [], []
        for cls in np.unique(labels):
            members = np.flatnonzero(labels == cls)
            rng.shuffle(members)
            count = int(round(len(members) * fraction))
            if len(members) >= 2 and 0.0 < fraction < 1.0:
                count = min(max(count, 1), len(members) - 1)
            second.extend(members[:count])
            first.extend(members[count:])
        return np.sort(np.array(first, dtype=int)), np.sort(np.array(second, dtype=int))

    def split_dataset(
        self, percentage: float = 0.25, seed: int = 12345, usetest: bool = False
    ):
        """Split the data into a training and a validation part, per class.

        Parameters
        ----------
        percentage : float
            Fraction of the ``trainval`` images of each class that goes to the
            validation part (ignored with ``usetest``).
        seed : int
            Seed of the shuffle; the same seed gives the same split.
        usetest : bool
            Return ``trainval`` as training part and ``test`` as second part.

        Returns
        -------
        tuple
            ``(trainX, validX, trainY, validY)``: lists of paths and of 0-based
            class ids (the order of ``sklearn.model_selection.train_test_split``).
        """
        if usetest:
            return (
                list(self.trainvalX),
                list(self.testX),
                list(self.trainvalY),
                list(self.testY),
            )
        train, valid = self.stratified_indices(self.trainvalY, percentage, seed)
        x, y = self.trainvalX, self.trainvalY
        return (
            [x[i] for i in train],
            [x[i] for i in valid],
            [y[i] for i in train],
            [y[i] for i in valid],
        )

    def test_subset(self, fraction: float = 1.0, seed: int = 12345):
        """Return a stratified ``fraction`` of the test split as ``(paths, ids)``."""
        if fraction >= 1.0:
            return list(self.testX), list(self.testY)
        _, chosen = self.stratified_indices(self.testY, fraction, seed)
        return [self.testX[i] for i in chosen], [self.testY[i] for i in chosen]

    def calibration_dataset_generator(
        self, percentage: float = 0.1, seed: int = 12345
    ) -> Iterator[list[np.ndarray]]:
        """Yield ``[input]`` samples for TFLite INT8 calibration.

        Takes a stratified ``percentage`` of the ``trainval`` images (at least
        one per class), in the form ``representative_dataset`` expects.
        """
        _, chosen = self.stratified_indices(self.trainvalY, percentage, seed)
        if len(chosen) == 0:
            chosen = [0]
        for index in chosen:
            yield [self.prepare_input_sample(self.trainvalX[index])]

    # ----------------------------------------------------------------- samples
    def prepare_input_sample(self, sample: str | os.PathLike) -> np.ndarray:
        """Load one image as the model input.

        Returns
        -------
        numpy.ndarray
            Shape ``(1, 224, 224, 3)``, float32, RGB scaled to [0, 1] then
            normalised with :attr:`mean` and :attr:`std`.
        """
        with Image.open(sample) as image:
            image = image.convert("RGB").resize(
                (self.IMAGE_SIZE[1], self.IMAGE_SIZE[0]), Image.BILINEAR
            )
            array = np.asarray(image, dtype=np.float32) / 255.0
        array = (array - self.mean) / self.std
        return array[np.newaxis].astype(np.float32)

    def prepare_output_sample(self, sample: int) -> np.ndarray:
        """Return the one-hot vector (float32, length ``numclasses``) of a class id."""
        out = np.zeros(self.numclasses, dtype=np.float32)
        out[int(sample)] = 1.0
        return out

    # -------------------------------------------------------------- evaluation
    def reset_metrics(self) -> None:
        """Forget every prediction passed to :meth:`evaluate`."""
        size = getattr(self, "numclasses", 0) or 0
        self.confusion_matrix = np.zeros((size, size), dtype=np.int64)
        self.top_5_count = 0
        self.total = 0

    def evaluate(self, predictions, truth) -> None:
        """Record the model's output for one sample or a batch.

        Parameters
        ----------
        predictions : array-like
            Scores of shape ``(N,)`` or ``(1, N)`` for one sample, or
            ``(B, N)`` for a batch of ``B`` samples.
        truth : int or array-like
            True 0-based class id (one per sample of the batch), or the
            one-hot vectors of :meth:`prepare_output_sample` (what the
            original course's first ModelTester passes).
        """
        scores = np.asarray(predictions, dtype=np.float64)
        scores = (
            scores.reshape(1, -1)
            if scores.ndim <= 1
            else scores.reshape(scores.shape[0], -1)
        )
        truths = np.asarray(truth).reshape(-1)
        if len(truths) == scores.shape[0] * self.numclasses != scores.shape[0]:
            truths = truths.reshape(scores.shape[0], -1).argmax(axis=1)
        if len(truths) != scores.shape[0]:
            raise ValueError(
                f"{scores.shape[0]} predictions for {len(truths)} true labels"
            )
        for row, label in zip(scores, truths, strict=True):
            self.confusion_matrix[int(label), int(np.argmax(row))] += 1
            self.top_5_count += metrics.top_k_hit(row, int(label), 5)
            self.total += 1

    def get_metrics(self) -> dict[str, float]:
        """Return the metrics of everything recorded since :meth:`reset_metrics`."""
        return {
            "accuracy": metrics.accuracy(self.confusion_matrix),
            "mean_precision": metrics.mean_precision(self.confusion_matrix),
            "mean_sensitivity": metrics.mean_sensitivity(self.confusion_matrix),
            "g_mean": metrics.g_mean(self.confusion_matrix),
            "top_5": self.top_5_count / self.total if self.total else 0.0,
            "samples": self.total,
        }
