"""The PyTorch side of the structured-pruning part of lab 03.

Needs the optional install (torch's CPU build, then
``requirements-structured.txt``: NNI and the converters); the TFMOT part of
the course never imports this module.

- :class:`FashionNet`: the lab's classifier (three 3x3 convolutions with 8,
  16 and 32 filters, a dense layer of 1,024 units, 10 softmax outputs); the
  widths are parameters so that a pruned model can be rebuilt from its
  weights (:func:`net_from_state_dict`);
- :func:`make_loaders`: training, validation and test loaders of
  Fashion-MNIST IDX files (:mod:`dl_in_iot_course.misc.fashion_mnist`),
  normalised with the training set's mean and standard deviation, with light
  augmentation for training;
- :func:`pretrained_path`: a classifier trained briefly on the embedded
  default data and cached, so the lab runs without training first.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dl_in_iot_course.misc import fashion_mnist

PRETRAINED_VERSION = 2
#: Samples of the embedded default: training (split 2:1 into training and
#: validation) and test.
EMBEDDED_LIMITS = (3000, 1000)
LAYERS = ("conv1", "conv2", "conv3", "fc1", "fc2")


class FashionNet(nn.Module):
    """The lab's Fashion-MNIST classifier; its output is class probabilities.

    Parameters
    ----------
    widths : tuple of int
        Filters of the three convolutions.
    hidden : int
        Units of the first dense layer.
    classes : int
        Outputs of the final dense layer.
    """

    def __init__(self, widths=(8, 16, 32), hidden=1024, classes=10):
        super().__init__()
        c1, c2, c3 = widths
        self.conv1 = nn.Conv2d(1, c1, 3)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c1, c2, 3)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(c2, c3, 3)
        self.relu3 = nn.ReLU()
        # 28x28 input, three unpadded 3x3 convolutions: 22x22 maps.
        self.fc1 = nn.Linear(c3 * 22 * 22, hidden)
        self.relu4 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        """Return class probabilities for a batch ``(n, 1, 28, 28)``."""
        x = self.relu1(self.conv1(x))
        x = self.relu2(self.conv2(x))
        x = self.relu3(self.conv3(x))
        x = torch.flatten(x, 1)
        x = self.relu4(self.fc1(x))
        return self.softmax(self.fc2(x))


def layer_shapes(state: dict) -> dict[str, list[int]]:
    """Return ``{layer: weight shape}`` of the lab's layers in a state dict."""
    return {
        name: [int(s) for s in state[f"{name}.weight"].shape]
        for name in LAYERS
        if f"{name}.weight" in state
    }


def net_from_state_dict(state: dict) -> FashionNet:
    """Build a :class:`FashionNet` with the widths of ``state`` and load it.

    Raises
    ------
    KeyError, ValueError, RuntimeError
        When ``state`` is not a state dict of this architecture.
    """
    shapes = layer_shapes(state)
    missing = [name for name in LAYERS if name not in shapes]
    if missing:
        raise KeyError(f"no weights for the layers {', '.join(missing)}")
    widths = (shapes["conv1"][0], shapes["conv2"][0], shapes["conv3"][0])
    net = FashionNet(widths, shapes["fc1"][0], shapes["fc2"][0])
    net.load_state_dict(state, strict=True)
    return net.eval()


class ImageSet(torch.utils.data.Dataset):
    """Images as normalised tensors ``(1, 28, 28)`` with integer labels.

    Parameters
    ----------
    images : numpy.ndarray
        ``uint8 (n, 28, 28)``.
    labels : numpy.ndarray
        ``int (n,)``.
    mean, std : float
        Normalisation (of the training images, in 0..1 units).
    augment : bool
        Random horizontal flips and shifts of up to 2 pixels.
    seed : int
        Seed of the augmentation.
    """

    def __init__(self, images, labels, mean, std, augment=False, seed=0):
        data = torch.from_numpy(np.asarray(images, dtype=np.float32) / 255.0)
        self.images = ((data - mean) / std).unsqueeze(1)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        self.augment = augment
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        image = self.images[index]
        if self.augment:
            if torch.rand(1, generator=self.generator).item() < 0.5:
                image = torch.flip(image, dims=[2])
            dy, dx = torch.randint(-2, 3, (2,), generator=self.generator).tolist()
            image = torch.roll(image, shifts=(dy, dx), dims=(1, 2))
        return image, self.labels[index]


def make_loaders(
    folder: str | os.PathLike,
    batch_size: int = 32,
    limits: tuple[int | None, int | None] = (None, None),
    seed: int = 0,
):
    """Return ``(trainloader, valloader, testloader, info)`` of IDX files.

    Two thirds of the training split train and one third validates (40,000
    and 20,000 of the full data set); validation and test batches hold one
    image, so the measured inference time is per image.

    Parameters
    ----------
    folder : path-like
        Folder with the four IDX files (any layout of
        :func:`dl_in_iot_course.misc.fashion_mnist.find_idx_files`).
    batch_size : int
        Training batch size.
    limits : (int or None, int or None)
        Keep only the first samples of the training and test splits.
    seed : int
        Seed of the split and the shuffling.
    """
    train_x, train_y = fashion_mnist.load_split(folder, "train", limits[0])
    test_x, test_y = fashion_mnist.load_split(folder, "test", limits[1])
    scaled = train_x.astype(np.float32) / 255.0
    mean, std = float(scaled.mean()), float(scaled.std()) or 1.0
    order = np.random.default_rng(seed).permutation(len(train_x))
    cut = (2 * len(order)) // 3
    train_idx, val_idx = order[:cut], order[cut:]
    trainset = ImageSet(train_x[train_idx], train_y[train_idx], mean, std, True, seed)
    valset = ImageSet(train_x[val_idx], train_y[val_idx], mean, std)
    testset = ImageSet(test_x, test_y, mean, std)
    generator = torch.Generator().manual_seed(seed)
    trainloader = torch.utils.data.DataLoader(
        trainset, batch_size=batch_size, shuffle=True, generator=generator
    )
    valloader = torch.utils.data.DataLoader(valset, batch_size=1)
    testloader = torch.utils.data.DataLoader(testset, batch_size=1)
    info = {
        "train": len(trainset),
        "val": len(valset),
        "test": len(testset),
        "mean": mean,
        "std": std,
    }
    return trainloader, valloader, testloader, info


def train_briefly(model, loader, epochs=1, lr=0.001, seed=0) -> None:
    """Train ``model`` with Adam, quietly (for the cached models and tests).

    The classifier ends in a softmax, so the loss is the negative log of the
    true class's probability: the cross-entropy of the outputs themselves,
    which learns in a few hundred steps what cross-entropy applied on top of
    the softmax (the lab's criterion) learns in many epochs.
    """
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.NLLLoss()
    model.train()
    for _ in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad()
            criterion(torch.log(model(images).clamp_min(1e-8)), labels).backward()
            optimizer.step()
    model.eval()


def accuracy(model, loader) -> float:
    """Return the share of correctly classified samples of ``loader``."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += int((model(images).argmax(1) == labels).sum())
            total += len(labels)
    return correct / total if total else 0.0


def pretrained_path(cache: str | os.PathLike | None = None, epochs: int = 2) -> Path:
    """Return a :class:`FashionNet` state dict trained on the embedded default.

    Trained once (about half a minute on two cores) and cached as ``.pth``
    under the cache folder, keyed by the data set, the version and the
    epochs; a damaged file is retrained.
    """
    from dl_in_iot_course.misc.embedded import cache_dir

    folder, kind = fashion_mnist.embedded_root(cache)
    key = hashlib.sha256(
        f"{kind}-{PRETRAINED_VERSION}-{epochs}-{EMBEDDED_LIMITS}".encode()
    ).hexdigest()[:12]
    base = Path(cache) if cache is not None else cache_dir()
    path = base / f"fashion-classifier-{kind}-{key}.pth"
    if path.is_file():
        try:
            net_from_state_dict(torch.load(path, weights_only=True))
            return path
        except Exception:  # noqa: BLE001 - damaged cache: train again
            path.unlink(missing_ok=True)
    torch.manual_seed(0)
    model = FashionNet()
    trainloader, _, _, _ = make_loaders(folder, 32, EMBEDDED_LIMITS)
    train_briefly(model, trainloader, epochs=epochs)
    base.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=base, suffix=".pth.tmp")
    os.close(handle)
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)
    return path
