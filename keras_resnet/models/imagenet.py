"""ImageNet networks of Table 1 (ResNet-18...152) and Table 2 (Plain-18/34)."""

from __future__ import annotations

from keras_resnet.models.constructors import make_constructor
from keras_resnet.models.specs import imagenet_spec

_RESNET_OPTIONS = {
    "variant": "v1.5",
    "shortcut": "B",
    "zero_init_residual": False,
    "kernel_regularizer": None,
}
_PLAIN_OPTIONS = {"kernel_regularizer": None}


def _make(depth: int, residual: bool):
    return make_constructor(
        imagenet_spec(depth, residual=residual),
        f"{'ResNet' if residual else 'Plain'}{depth}",
        weights="imagenet" if residual else None,
        input_shape=None,
        classes=1000,
        options=_RESNET_OPTIONS if residual else _PLAIN_OPTIONS,
    )


ResNet18 = _make(18, True)
ResNet34 = _make(34, True)
ResNet50 = _make(50, True)
ResNet101 = _make(101, True)
ResNet152 = _make(152, True)
Plain18 = _make(18, False)
Plain34 = _make(34, False)

CONSTRUCTORS = {
    f.__name__.lower(): f
    for f in (ResNet18, ResNet34, ResNet50, ResNet101, ResNet152, Plain18, Plain34)
}
