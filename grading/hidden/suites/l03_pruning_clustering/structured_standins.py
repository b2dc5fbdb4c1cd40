"""Stand-ins for torchvision and onnx_tf in the structured-pruning hidden run.

Every version of the original course's ``structured_pruning_experiments``
imports torchvision at the top of the module, only to read Fashion-MNIST
(``datasets.FashionMNIST``) and to build its transforms (``transforms``).
PyPI's torchvision is a CUDA build that does not import beside the CPU torch
of the grading environment, and the grader replaces the data by its tiny set
anyway; so when torchvision does not import, these stand-ins serve exactly
what the templates use, reading the tiny IDX files the fixtures wrote
(docs/structured-pruning.md explains the choice and its cost).

``ai_edge_torch`` is served by its successor ``litert_torch``
(:func:`install_ai_edge_torch`). The 2022 and 2024 versions also import
``onnx_tf`` (ONNX to TensorFlow), which needs TensorFlow older than 2.16;
its stand-in imports, and its ``prepare`` raises an error that sends the
TFLite item to a person.
"""

from __future__ import annotations

import sys
import types

import numpy as np

NOT_HERE = (
    "is not available in the grading environment (torchvision is replaced by "
    "the grader's stand-in, which only reads Fashion-MNIST and provides the "
    "template's transforms)"
)


def _module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__getattr__ = lambda attr: _missing(f"{name}.{attr}")
    sys.modules[name] = module
    return module


def _missing(name: str):
    raise AttributeError(f"{name} {NOT_HERE}")


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, value):
        for transform in self.transforms:
            value = transform(value)
        return value


class ToTensor:
    """uint8 ``(H, W)`` image to a float tensor ``(1, H, W)`` in 0..1."""

    def __call__(self, image):
        import torch

        array = np.asarray(image, dtype=np.float32) / 255.0
        if array.ndim == 2:
            array = array[None]
        return torch.from_numpy(np.ascontiguousarray(array))


class Normalize:
    """``(x - mean) / std``."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std = mean, std

    def __call__(self, tensor):
        import torch

        mean = torch.as_tensor(self.mean, dtype=tensor.dtype).reshape(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=tensor.dtype).reshape(-1, 1, 1)
        return (tensor - mean) / std


class RandomHorizontalFlip:
    """Flip left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, tensor):
        import torch

        if float(torch.rand(1)) < self.p:
            return torch.flip(tensor, dims=[-1])
        return tensor


class RandomAffine:
    """Small random rotation and scaling of a tensor image."""

    def __init__(self, degrees, translate=None, scale=None, **kwargs):
        self.degrees = (
            degrees if isinstance(degrees, list | tuple) else (-degrees, degrees)
        )
        self.scale = scale or (1.0, 1.0)

    def __call__(self, tensor):
        import math

        import torch
        import torch.nn.functional as F

        angle = math.radians(float(torch.empty(1).uniform_(*self.degrees)))
        factor = float(torch.empty(1).uniform_(*self.scale))
        cos, sin = math.cos(angle) / factor, math.sin(angle) / factor
        theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=tensor.dtype)
        batch = tensor.unsqueeze(0)
        grid = F.affine_grid(theta.unsqueeze(0), list(batch.shape), align_corners=False)
        return F.grid_sample(batch, grid, align_corners=False).squeeze(0)


class FashionMNIST:
    """Fashion-MNIST from ``<root>/FashionMNIST/raw`` (the tiny grading set)."""

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):  # fmt: skip
        from pathlib import Path

        from dl_in_iot_course.misc import fashion_mnist

        folder = Path(root) / "FashionMNIST" / "raw"
        split = "train" if train else "test"
        self.data, self.targets = fashion_mnist.load_split(folder, split)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def install_torchvision() -> None:
    """Register ``torchvision``, ``torchvision.datasets`` and ``.transforms``."""
    root = _module("torchvision")
    root.__path__ = []
    root.__version__ = "0.0+grader-stand-in"
    datasets = _module("torchvision.datasets")
    datasets.FashionMNIST = FashionMNIST
    transforms = _module("torchvision.transforms")
    for cls in (Compose, ToTensor, Normalize, RandomHorizontalFlip, RandomAffine):
        setattr(transforms, cls.__name__, cls)
    root.datasets, root.transforms = datasets, transforms


ONNX_TF_MESSAGE = (
    "onnx_tf (ONNX to TensorFlow) cannot run beside TensorFlow 2.21 in the "
    "grading environment; this template version's TFLite conversion is graded "
    "by a person from the committed .tflite file"
)


class OnnxTfUnavailable(RuntimeError):
    """Raised by the onnx_tf stand-in."""


def _prepare(*args, **kwargs):
    raise OnnxTfUnavailable(ONNX_TF_MESSAGE)


def install_onnx_tf() -> None:
    """Register an ``onnx_tf`` whose ``backend.prepare`` explains why it cannot run."""
    root = _module("onnx_tf")
    root.__path__ = []
    backend = _module("onnx_tf.backend")
    backend.prepare = _prepare
    root.backend = backend


def install_ai_edge_torch() -> bool:
    """Serve ``import ai_edge_torch`` from ``litert_torch`` (the project's new name).

    The course's code calls ``ai_edge_torch.convert``; ``ai-edge-torch`` 0.7.1
    needs torch older than 2.10 and 0.7.2 is empty. The grader's own module
    always wins over a copy in the submission. Returns False when
    ``litert_torch`` is not installed (the student's import then fails and
    says so).
    """
    try:
        import litert_torch
    except Exception:  # noqa: BLE001 - not installed
        return False
    module = types.ModuleType("ai_edge_torch")
    module.__dict__.update(
        {k: v for k, v in vars(litert_torch).items() if not k.startswith("__")}
    )
    module.convert = litert_torch.convert
    module.__version__ = getattr(litert_torch, "__version__", "")
    sys.modules["ai_edge_torch"] = module
    return True
