"""Reference solution of lab 03, part 2: structured pruning with NNI.

The student module with every TODO implemented (instructor only).

Read the section "Part 2: structured pruning with NNI" of
dl_in_iot_course/l03_pruning_clustering/README.md first. The script loads a
trained Fashion-MNIST classifier, measures it, prunes whole filters and
neurons with NNI's activation-based APoZ pruner, shrinks the model with NNI's
speedup, fine-tunes it, measures it again and exports it to ONNX and TFLite.
You complete the functions and methods marked TODO (tasks S1 to S8).

Needs the optional install: the two commands of the README's section
"Before you start (part 2)". Without any
path the script runs offline on the embedded default (Fashion-MNIST from
Debian's package when installed, otherwise scikit-learn digits) and a
classifier trained once and cached; the real run (add ``--train-model``
the first time: it trains the model and saves it as ``--input-model``)::

    python3 -m dl_in_iot_course.l03_pruning_clustering.structured_pruning_experiments \\
        --input-model models/fashion-mnist-classifier.pth \\
        --backup-model build/structured/backup-model.pth \\
        --final-model build/structured/final-model.pth \\
        --dataset-path /usr/share/datasets/fashion-mnist \\
        --onnx-model build/structured/model.onnx \\
        --tflite-model build/structured/model.tflite
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import nni
import torch
from nni.compression.pytorch import ModelSpeedup
from nni.compression.pytorch.pruning import ActivationAPoZRankPruner
from tqdm import tqdm

import ai_edge_torch
from dl_in_iot_course.misc import fashion_mnist, fashion_net

README = "dl_in_iot_course/l03_pruning_clustering/README.md"

# "cpu" for this lab's measurements; "cuda" trains faster where there is a GPU.
DEVICE = "cpu"
# Learning rates of the Adam optimizers: training (and the pruner's
# measurements) and fine-tuning.
TRAINING_LEARNING_RATE = 0.001
FINETUNE_LEARNING_RATE = 0.0001
# Batch size of training and fine-tuning.
BATCH_SIZE = 32
# Share of filters and neurons the pruner removes from each pruned layer.
SPARSITY = 0.5
# Epochs of training from scratch (--train-model), of the pruner's
# activation measurements, and of fine-tuning.
TRAIN_EPOCHS = 20
MEASUREMENTS_EPOCHS = 1
FINE_TUNE_EPOCHS = 5


def todo(what: str, section: str) -> NotImplementedError:
    """Return the error a task raises until you implement it."""
    return NotImplementedError(
        f"{what} is not implemented yet: see '{section}' in {README}"
    )


class FashionClassifier(fashion_net.FashionNet):
    """The lab's classifier (layers conv1, conv2, conv3, fc1, fc2) on DEVICE.

    The layers and ``forward`` come from
    :class:`dl_in_iot_course.misc.fashion_net.FashionNet`; ``print(model)``
    shows them with their shapes.
    """

    def __init__(self):
        super().__init__()
        self.device = torch.device(DEVICE)
        self.to(self.device)

    def train_model(
        self,
        optimizer,
        criterion,
        epochs,
        trainloader,
        valloader=None,
        lastbestmodelpath=None,
        evaluate_model=True,
    ):
        """Train for ``epochs`` epochs; keep the best model by validation accuracy.

        Parameters
        ----------
        optimizer : torch.optim.Optimizer
            Updates the weights (Adam in this lab).
        criterion : torch.nn.Module
            The loss (cross-entropy in this lab).
        epochs : int
            Passes over ``trainloader``.
        trainloader, valloader : torch.utils.data.DataLoader
            Training samples, and validation samples (optional).
        lastbestmodelpath : Path, optional
            Where the state dict of the best epoch so far is saved.
        evaluate_model : bool
            Measure validation accuracy after each epoch.
        """
        best = -1.0
        for epoch in range(epochs):
            self.train()
            total, batches = 0.0, 0
            for images, labels in tqdm(trainloader, desc=f"train epoch {epoch}"):
                images, labels = images.to(self.device), labels.to(self.device)
                optimizer.zero_grad()
                loss = criterion(self(images), labels)
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
                batches += 1
            print(f"Epoch {epoch}: mean loss {total / max(batches, 1):.4f}")
            if evaluate_model and valloader is not None:
                acc = self.evaluate(valloader)
                if acc > best:
                    print(f"Epoch {epoch}: best validation accuracy so far {acc:.2f} %")
                    best = acc
                    if lastbestmodelpath:
                        torch.save(self.state_dict(), lastbestmodelpath)

    def evaluate(self, dataloader):
        """Print and return the accuracy (percent) and print the inference time.

        The inference time is the mean wall time of one forward pass over a
        batch of ``dataloader`` (one image in this lab's test loader), in
        milliseconds.
        """
        self.eval()
        correct = total = 0
        seconds, runs = 0.0, 0
        with torch.no_grad():
            for images, labels in tqdm(dataloader, desc="evaluate"):
                images, labels = images.to(self.device), labels.to(self.device)
                start = time.perf_counter()
                outputs = self(images)
                seconds += time.perf_counter() - start
                runs += 1
                correct += int((outputs.argmax(1) == labels).sum())
                total += len(labels)
        accuracy = 100.0 * correct / max(total, 1)
        print(f"Accuracy: {accuracy:.2f} %")
        print(f"Mean inference time: {1000.0 * seconds / max(runs, 1):.3f} ms")
        return accuracy

    def convert_to_onnx(self, outputpath):
        """Task S7: write the model as an ONNX file at ``outputpath``."""
        self.eval()
        sample = torch.randn(1, 1, 28, 28).to(self.device)
        # The TorchScript-based exporter needs only the onnx package.
        torch.onnx.export(
            self,
            (sample,),
            str(outputpath),
            input_names=["input"],
            output_names=["output"],
            dynamo=False,
        )

    def convert_to_tflite(self, outputpath):
        """Task S8: write the model as an FP32 TFLite file at ``outputpath``."""
        self.eval()
        sample = torch.randn(1, 1, 28, 28).to(self.device)
        edge_model = ai_edge_torch.convert(self, (sample,))
        edge_model.export(str(outputpath))


def create_traced_optimizer(model):
    """Task S1: return an NNI-traced Adam optimizer of ``model``."""
    return nni.trace(torch.optim.Adam)(model.parameters(), lr=TRAINING_LEARNING_RATE)


def create_config_list():
    """Tasks S2 and S3: return the pruner's configuration list."""
    return [
        {"sparsity_per_layer": SPARSITY, "op_types": ["Conv2d", "Linear"]},
        {"exclude": True, "op_names": ["fc2"]},
    ]


def create_pruner(model, config_list, trainer, traced_optimizer, criterion):
    """Task S4: return the activation-based pruner of ``model``."""
    return ActivationAPoZRankPruner(
        model,
        config_list,
        trainer,
        traced_optimizer,
        criterion,
        training_batches=1000,
    )


def speed_up(model, masks):
    """Task S5: shrink ``model`` in place to the filters the masks keep."""
    dummy_input = torch.randn(1, 1, 28, 28).to(model.device)
    ModelSpeedup(model, dummy_input, masks).speedup_model()


def create_finetune_optimizer(model):
    """Task S6: return the fine-tuning optimizer of the pruned ``model``."""
    return torch.optim.Adam(model.parameters(), lr=FINETUNE_LEARNING_RATE)


def show(title: str, model) -> None:
    """Print a heading, the model and the shape of each layer's weights."""
    print(title)
    print(model)
    for name, shape in fashion_net.layer_shapes(model.state_dict()).items():
        print(f"  {name}.weight: {'x'.join(str(s) for s in shape)}")


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (see ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python3 -m dl_in_iot_course.l03_pruning_clustering."
        "structured_pruning_experiments",
        description="Prune a Fashion-MNIST classifier with NNI, fine-tune it "
        "and export it to ONNX and TFLite.",
        epilog="Without --dataset-path the embedded default is used "
        f"({fashion_mnist.DEBIAN_DIR} when Debian's dataset-fashion-mnist is "
        "installed, otherwise scikit-learn digits), with "
        f"{fashion_net.EMBEDDED_LIMITS[0]} training and "
        f"{fashion_net.EMBEDDED_LIMITS[1]} test images; without --input-model "
        "a classifier trained once on it and cached under build/embedded/.",
    )
    build = Path("build/structured")
    parser.add_argument("--input-model", type=Path, help="trained state dict (.pth)")
    parser.add_argument(
        "--backup-model",
        type=Path,
        default=build / "backup-model.pth",
        help="where the best model so far is saved while training",
    )
    parser.add_argument(
        "--final-model",
        type=Path,
        default=build / "final-model.pth",
        help="where the fine-tuned pruned model is saved",
    )
    parser.add_argument("--onnx-model", type=Path, help="ONNX file to write")
    parser.add_argument("--tflite-model", type=Path, help="TFLite file to write")
    parser.add_argument(
        "--dataset-path", type=Path, help="folder with the Fashion-MNIST IDX files"
    )
    parser.add_argument(
        "--train-model",
        action="store_true",
        help="train from scratch first and save the best model as --input-model",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the whole experiment; see the module docstring and ``--help``."""
    args = parse_args(argv)
    if args.dataset_path is None:
        folder, kind = fashion_mnist.embedded_root()
        limits = fashion_net.EMBEDDED_LIMITS
        print(f"Data: embedded default ({kind}, {folder})")
    else:
        folder, limits = args.dataset_path, (None, None)
    trainloader, valloader, testloader, info = fashion_net.make_loaders(
        folder, BATCH_SIZE, limits
    )
    print(f"Samples: train={info['train']}, val={info['val']}, test={info['test']}")
    for path in (args.backup_model, args.final_model):
        path.parent.mkdir(parents=True, exist_ok=True)
    criterion = torch.nn.CrossEntropyLoss()
    model = FashionClassifier()

    if args.train_model:
        if args.input_model is None:
            sys.exit("--train-model needs --input-model (where to save the model)")
        optimizer = torch.optim.Adam(model.parameters(), lr=TRAINING_LEARNING_RATE)
        model.train_model(
            optimizer,
            criterion,
            TRAIN_EPOCHS,
            trainloader,
            valloader,
            args.backup_model,
        )
        args.input_model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(args.backup_model, args.input_model)
    input_model = args.input_model or fashion_net.pretrained_path()
    model.load_state_dict(torch.load(input_model, map_location=model.device))

    show("ORIGINAL MODEL", model)
    print("ORIGINAL MODEL QUALITY")
    model.evaluate(testloader)

    traced_optimizer = create_traced_optimizer(model)
    config_list = create_config_list()

    def trainer(mod, opt, crit):
        model.train_model(
            opt, crit, MEASUREMENTS_EPOCHS, trainloader, valloader, None, False
        )

    pruner = create_pruner(model, config_list, trainer, traced_optimizer, criterion)
    # The logs from here to "Unwrapped model" go into the summary.
    print("Computing the pruning masks...")
    _, masks = pruner.compress()
    print("Pruned weights:")
    pruner.show_pruned_weights()
    print("Unwrapping the model...")
    pruner._unwrap_model()
    print("Unwrapped model")

    speed_up(model, masks)
    show("MODEL AFTER PRUNING", model)
    print("PRUNED MODEL QUALITY BEFORE FINE-TUNING")
    model.evaluate(testloader)

    optimizer = create_finetune_optimizer(model)
    model.train_model(
        optimizer,
        criterion,
        FINE_TUNE_EPOCHS,
        trainloader,
        valloader,
        args.backup_model,
    )
    torch.save(model.state_dict(), args.final_model)
    print("PRUNED MODEL QUALITY AFTER FINE-TUNING")
    model.evaluate(testloader)

    if args.onnx_model:
        args.onnx_model.parent.mkdir(parents=True, exist_ok=True)
        model.convert_to_onnx(args.onnx_model)
    if args.tflite_model:
        args.tflite_model.parent.mkdir(parents=True, exist_ok=True)
        model.convert_to_tflite(args.tflite_model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
