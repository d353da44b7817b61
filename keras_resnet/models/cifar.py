"""CIFAR-10 networks of section 4.2: ResNet-20...1202 and Plain-20...110 (depth 6n+2)."""

from __future__ import annotations

from keras_resnet.models.constructors import make_constructor
from keras_resnet.models.specs import cifar_spec

_RESNET_OPTIONS = {"shortcut": "A", "zero_init_residual": False, "kernel_regularizer": None}
_PLAIN_OPTIONS = {"kernel_regularizer": None}


def constructor(depth: int, residual: bool):
    """A constructor for the CIFAR net of any depth 6n+2 (``get_model("resnet8")`` uses it).

    Example:
        >>> constructor(8, residual=False)().name
        'plain8'
    """
    return make_constructor(
        cifar_spec(depth, residual=residual),
        f"{'ResNet' if residual else 'Plain'}{depth}",
        weights=None,
        input_shape=(32, 32, 3),
        classes=10,
        options=_RESNET_OPTIONS if residual else _PLAIN_OPTIONS,
    )


ResNet20 = constructor(20, True)
ResNet32 = constructor(32, True)
ResNet44 = constructor(44, True)
ResNet56 = constructor(56, True)
ResNet110 = constructor(110, True)
ResNet1202 = constructor(1202, True)
Plain20 = constructor(20, False)
Plain32 = constructor(32, False)
Plain44 = constructor(44, False)
Plain56 = constructor(56, False)
Plain110 = constructor(110, False)

CONSTRUCTORS = {
    f.__name__.lower(): f
    for f in (
        *(ResNet20, ResNet32, ResNet44, ResNet56, ResNet110, ResNet1202),
        *(Plain20, Plain32, Plain44, Plain56, Plain110),
    )
}
