"""CIFAR-10 networks of section 4.2: ResNet-20...1202 and Plain-20...110 (depth 6n+2)."""

from __future__ import annotations

from keras_resnet.models.constructors import make_constructor
from keras_resnet.models.specs import cifar_spec

_RESNET_OPTIONS = {"shortcut": "A", "zero_init_residual": False, "kernel_regularizer": None}
_PLAIN_OPTIONS = {"kernel_regularizer": None}


def _make(depth: int, residual: bool):
    return make_constructor(
        cifar_spec(depth, residual=residual),
        f"{'ResNet' if residual else 'Plain'}{depth}",
        weights=None,
        input_shape=(32, 32, 3),
        classes=10,
        options=_RESNET_OPTIONS if residual else _PLAIN_OPTIONS,
    )


ResNet20 = _make(20, True)
ResNet32 = _make(32, True)
ResNet44 = _make(44, True)
ResNet56 = _make(56, True)
ResNet110 = _make(110, True)
ResNet1202 = _make(1202, True)
Plain20 = _make(20, False)
Plain32 = _make(32, False)
Plain44 = _make(44, False)
Plain56 = _make(56, False)
Plain110 = _make(110, False)

CONSTRUCTORS = {
    f.__name__.lower(): f
    for f in (
        *(ResNet20, ResNet32, ResNet44, ResNet56, ResNet110, ResNet1202),
        *(Plain20, Plain32, Plain44, Plain56, Plain110),
    )
}
