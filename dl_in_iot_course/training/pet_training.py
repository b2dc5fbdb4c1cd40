"""Train the MobileNetV2-based pet breed classifier used by labs 02 and 03.

The model: a MobileNetV2 backbone (224x224x3 input, no top), global average
pooling, dense layers of 1024, 512 and 128 units with ReLU and dropout 0.3,
and a dense layer of logits, one per class (4,164,965 parameters for the 37
breeds).

The course's trained model starts from ImageNet weights, which are downloaded
from the internet. Without network, pass ``--weights PATH`` with a MobileNetV2
no-top weights file (``.h5``) copied by hand, or ``--weights none`` to train
everything from random weights (much slower to reach good accuracy). The default,
``--weights auto``, tries ImageNet and falls back to random weights with a
warning when the download fails.

Example::

    python3 -m dl_in_iot_course.training.pet_training \\
        --dataset-root build/pet-dataset --output models/pet-dataset-tensorflow.h5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dl_in_iot_course  # noqa: F401  isort: skip
from dl_in_iot_course.misc.utils import get_logger

IMAGENET_HINT = (
    "ImageNet weights for MobileNetV2 could not be downloaded ({error}). On a "
    "machine with internet access, save them with\n"
    '  python3 -c "import tf_keras; tf_keras.applications.MobileNetV2('
    "include_top=False, input_shape=(224, 224, 3))"
    ".save_weights('mobilenetv2-notop.h5')\"\n"
    "and pass --weights mobilenetv2-notop.h5, or pass --weights none to train "
    "from random weights."
)


def build_pet_model(num_classes: int = 37, weights: str | None = None):
    """Build the classifier: MobileNetV2 backbone and a dense head.

    Parameters
    ----------
    num_classes : int
        Number of output logits.
    weights : str or None
        ``None`` for random weights, ``"imagenet"`` to download them, or the
        path of a MobileNetV2 no-top weights file.

    Returns
    -------
    tuple
        ``(model, backbone)``: the uncompiled ``tf_keras.Model`` (logits out)
        and its MobileNetV2 part.
    """
    import tf_keras

    layers = tf_keras.layers
    backbone = tf_keras.applications.MobileNetV2(
        include_top=False,
        weights="imagenet" if weights == "imagenet" else None,
        input_shape=(224, 224, 3),
    )
    if weights not in (None, "imagenet"):
        backbone.load_weights(str(weights))
    x = layers.GlobalAveragePooling2D()(backbone.output)
    for units in (1024, 512, 128):
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    model = tf_keras.Model(backbone.input, outputs, name="pet_classifier")
    return model, backbone


def make_datasets(dataset, batch_size: int = 16, validation: float = 0.25):
    """Return ``(train, valid)`` tf.data pipelines of a PetDataset."""
    import tensorflow as tf

    mean, std = tf.constant(dataset.mean), tf.constant(dataset.std)

    def load(path, label, augment):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        image = tf.image.resize(image, dataset.IMAGE_SIZE) / 255.0
        if augment:
            image = tf.image.random_flip_left_right(image)
            image = tf.image.random_brightness(image, 0.1)
            image = tf.clip_by_value(image, 0.0, 1.0)
        return (image - mean) / std, tf.one_hot(label, dataset.numclasses)

    def pipeline(paths, labels, augment):
        data = tf.data.Dataset.from_tensor_slices(([str(p) for p in paths], labels))
        if augment:
            data = data.shuffle(len(paths), seed=12345)
        data = data.map(lambda x, y: load(x, y, augment), tf.data.AUTOTUNE)
        return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    trainX, validX, trainY, validY = dataset.split_dataset(validation)
    return pipeline(trainX, trainY, True), pipeline(validX, validY, False)


def train(
    dataset_root,
    output,
    weights: str | None = "auto",
    epochs: int = 20,
    batch_size: int = 16,
    learning_rate: float = 1e-4,
    download_dataset: bool = False,
) -> Path:
    """Train the classifier and save the best epoch (validation accuracy) as .h5.

    With pretrained weights the backbone is frozen and only the head trains;
    from random weights the whole model trains.

    Returns
    -------
    pathlib.Path
        ``output``.
    """
    import tf_keras

    from dl_in_iot_course.misc.pet_dataset import PetDataset

    log = get_logger()
    dataset = PetDataset(dataset_root, download_dataset)
    source = "imagenet" if weights == "auto" else weights
    try:
        model, backbone = build_pet_model(dataset.numclasses, source)
    except Exception as error:  # the ImageNet download failed
        if source != "imagenet":
            raise
        if weights == "imagenet":
            raise SystemExit("error: " + IMAGENET_HINT.format(error=error)) from None
        log.warning(IMAGENET_HINT.format(error=error))
        log.warning("no network: training MobileNetV2 from random weights instead")
        source = None
        model, backbone = build_pet_model(dataset.numclasses, None)
    if source is None:
        log.info("training all of MobileNetV2 from random weights")
    else:
        backbone.trainable = False
        log.info("backbone weights from %s are frozen; training the head", source)
    model.compile(
        optimizer=tf_keras.optimizers.Adam(learning_rate),
        loss=tf_keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[tf_keras.metrics.CategoricalAccuracy()],
    )
    traindata, validdata = make_datasets(dataset, batch_size)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    model.fit(
        traindata,
        validation_data=validdata,
        epochs=epochs,
        callbacks=[
            tf_keras.callbacks.ModelCheckpoint(
                str(output), monitor="val_categorical_accuracy", save_best_only=True
            )
        ],
        verbose=2,
    )
    log.info("saved the best model to %s", output)
    return output


def main(argv=None) -> int:
    """Command-line entry point; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python3 -m dl_in_iot_course.training.pet_training",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:3]),
    )
    parser.add_argument("--dataset-root", type=Path, required=True)
    parser.add_argument("--download-dataset", action="store_true")
    parser.add_argument(
        "--output", type=Path, default=Path("models/pet-dataset-tensorflow.h5")
    )
    parser.add_argument(
        "--weights",
        default="auto",
        help="'auto' (ImageNet if it can be downloaded, else random; the "
        "default), 'imagenet', 'none', or a path to MobileNetV2 no-top weights "
        "(.h5)",
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    args = parser.parse_args(argv)
    weights = None if args.weights.lower() == "none" else args.weights
    if weights not in (None, "imagenet", "auto") and not Path(weights).is_file():
        parser.error(f"--weights {weights}: no such file")
    train(
        args.dataset_root,
        args.output,
        weights,
        args.epochs,
        args.batch_size,
        args.learning_rate,
        args.download_dataset,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
