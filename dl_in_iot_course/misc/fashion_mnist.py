"""Fashion-MNIST for the structured-pruning part of lab 03, offline.

Fashion-MNIST is four IDX files (28x28 grey images of 10 clothing classes,
60,000 for training and 10,000 for testing). No Python package ships them;
Debian's package ``dataset-fashion-mnist`` puts the gzipped files under
:data:`DEBIAN_DIR`, and the original course downloaded them with
torchvision into ``<dataset>/train/FashionMNIST/raw/``. This module reads
either layout with numpy alone (no torchvision):

- :func:`find_idx_files`: the four files in a folder, in any of the known
  layouts, gzipped or not;
- :func:`load_split`: one split as ``uint8`` images ``(n, 28, 28)`` and
  ``int64`` labels;
- :func:`embedded_root`: the embedded default data set: Debian's files when
  the package is installed, otherwise scikit-learn's handwritten digits
  resized to 28x28 and written once as IDX files under the cache folder;
- :func:`write_split`: write images and labels as IDX files (for tests).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Name stems of the four files, by split.
STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: Sub-folders searched under a data set folder, in order.
LAYOUTS = ("", "raw", "FashionMNIST/raw", "{split}/FashionMNIST/raw")
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
DIGITS_VERSION = 1
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetNotFound(FileNotFoundError):
    """The IDX files are not in the folder; the message lists what was tried."""


def _candidates(folder: Path, split: str, stem: str) -> list[Path]:
    found = []
    for layout in LAYOUTS:
        base = folder / layout.format(split=split) if layout else folder
        found += [base / stem, base / f"{stem}.gz"]
    return found


def find_idx_files(folder: str | os.PathLike, split: str) -> tuple[Path, Path]:
    """Return the image and label files of ``split`` (``train`` or ``test``).

    Raises
    ------
    DatasetNotFound
        When a file is in none of the layouts; the message names the files
        and the folders searched.
    """
    folder = Path(folder)
    out = []
    for stem in STEMS[split]:
        hit = next((p for p in _candidates(folder, split, stem) if p.is_file()), None)
        if hit is None:
            layouts = ", ".join(
                str(folder / x.format(split=split)) if x else str(folder)
                for x in LAYOUTS
            )
            raise DatasetNotFound(
                f"Fashion-MNIST file {stem}[.gz] not found in {layouts}. Install "
                f"Debian's package dataset-fashion-mnist (files in {DEBIAN_DIR}) "
                "and pass --dataset-path to that folder, or leave --dataset-path "
                "out to use the embedded default."
            )
        out.append(hit)
    return out[0], out[1]


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzipped when its name ends in ``.gz``).

    Raises
    ------
    ValueError
        When the header is not that of an IDX file or the data is short.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 0
    if len(raw) < header + count * dtype.itemsize:
        raise ValueError(f"{path} is truncated: expected {count} values")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file; gzipped when the name ends in .gz."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())
    return path


def load_split(
    folder: str | os.PathLike, split: str, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)`` of a split: ``uint8 (n, 28, 28)``, ``int64 (n,)``.

    Parameters
    ----------
    folder : path-like
        Folder holding the IDX files (see :data:`LAYOUTS`).
    split : {"train", "test"}
    limit : int, optional
        Keep only the first ``limit`` samples.
    """
    images_path, labels_path = find_idx_files(folder, split)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{images_path} and {labels_path} do not hold matching images and labels"
        )
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return np.array(images, dtype=np.uint8), np.array(labels, dtype=np.int64)


def write_split(
    folder: str | os.PathLike,
    split: str,
    images: np.ndarray,
    labels: np.ndarray,
    gz: bool = False,
) -> Path:
    """Write one split as the two IDX files of :data:`STEMS` in ``folder``."""
    folder = Path(folder)
    suffix = ".gz" if gz else ""
    images_stem, labels_stem = STEMS[split]
    write_idx(folder / f"{images_stem}{suffix}", images)
    write_idx(folder / f"{labels_stem}{suffix}", labels)
    return folder


def digits_28(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8) resized to 28x28, shuffled."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.stack(
        [
            np.asarray(
                Image.fromarray((img * (255.0 / 16.0)).astype(np.uint8)).resize(
                    (28, 28), Image.BILINEAR
                )
            )
            for img in digits.images
        ]
    )
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order].astype(np.uint8), digits.target[order].astype(np.int64)


def embedded_root(cache: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Return the embedded default data set folder and what it holds.

    Returns
    -------
    (Path, str)
        Debian's Fashion-MNIST folder and ``"fashion-mnist"`` when the
        package is installed; otherwise a cached folder of digits as IDX
        files (1,400 for training, 397 for testing) and ``"digits"``.
    """
    try:
        find_idx_files(DEBIAN_DIR, "train")
        find_idx_files(DEBIAN_DIR, "test")
        return DEBIAN_DIR, "fashion-mnist"
    except DatasetNotFound:
        pass
    from dl_in_iot_course.misc.embedded import cache_dir

    base = Path(cache) if cache is not None else cache_dir()
    folder = base / f"digits28-idx-v{DIGITS_VERSION}"
    try:
        find_idx_files(folder, "train")
        find_idx_files(folder, "test")
        return folder, "digits"
    except DatasetNotFound:
        pass
    images, labels = digits_28()
    staging = base / f".{folder.name}-{os.getpid()}"
    write_split(staging, "train", images[:1400], labels[:1400])
    write_split(staging, "test", images[1400:], labels[1400:])
    try:
        os.replace(staging, folder)
    except OSError:  # another process was faster
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return folder, "digits"
