"""Per-dataset defaults: which of the paper's pipelines a dataset gets, and its options."""

from __future__ import annotations

import dataclasses

CIFAR_STYLE = "cifar"
IMAGENET_STYLE = "imagenet"


@dataclasses.dataclass(frozen=True)
class DatasetDefaults:
    """How ``keras_resnet.data.load`` treats a dataset.

    Attributes:
        style: ``"cifar"`` (section 4.2: per-pixel mean, 4-pixel pad + random crop + flip) or
            ``"imagenet"`` (section 3.4: scale augmentation, 224 crops, PCA colour noise).
        image_size: Side of the square images the pipeline delivers.
        flip: Whether training flips images horizontally (not for digits).
        classes: Its number of classes, where known without reading the dataset.
        channels: Its images' channels, where known without reading the dataset.

    Example:
        >>> DatasetDefaults("cifar", 32, flip=False).image_size
        32
    """

    style: str
    image_size: int
    flip: bool = True
    classes: int | None = None
    channels: int | None = None


KNOWN_DATASETS = {
    "cifar10": DatasetDefaults(CIFAR_STYLE, 32, classes=10, channels=3),
    "cifar100": DatasetDefaults(CIFAR_STYLE, 32, classes=100, channels=3),
    # 28x28 images are zero-padded to 32x32 so the CIFAR nets apply unchanged.
    "fashion_mnist": DatasetDefaults(CIFAR_STYLE, 32, classes=10, channels=1),
    "mnist": DatasetDefaults(CIFAR_STYLE, 32, flip=False, classes=10, channels=1),
    "imagenet2012": DatasetDefaults(IMAGENET_STYLE, 224, classes=1000, channels=3),
}


def defaults_for(name: str, image_shape: tuple | None = None) -> DatasetDefaults:
    """Defaults of a known dataset, or a guess for another TFDS dataset from its image size.

    Images of at most 64 pixels a side get the CIFAR pipeline (at their own size, rounded up
    to a multiple of 4), larger or variable-sized images the ImageNet one.

    Example:
        >>> defaults_for("mnist").flip
        False
        >>> defaults_for("svhn_cropped", (32, 32, 3)).style
        'cifar'
    """
    if name in KNOWN_DATASETS:
        return KNOWN_DATASETS[name]
    side = max(image_shape[:2]) if image_shape and None not in image_shape[:2] else None
    if side is not None and side <= 64:
        return DatasetDefaults(CIFAR_STYLE, max(32, -(-side // 4) * 4))
    return DatasetDefaults(IMAGENET_STYLE, 224)
