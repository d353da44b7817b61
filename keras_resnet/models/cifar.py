"""CIFAR-10 networks of section 4.2: ResNet-20...1202 and Plain-20...110 (depth 6n+2),
written out as keras.applications writes its constructors; ``constructor`` makes one for any
other depth 6n+2 (``get_model("resnet8")``)."""

from __future__ import annotations

import functools
import inspect

from keras_resnet.models.builder import build_model
from keras_resnet.models.constructors import documented
from keras_resnet.models.model import ResNetModel
from keras_resnet.models.specs import cifar_spec


@documented(cifar_spec(20))
def ResNet20(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(20),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(32))
def ResNet32(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(32),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(44))
def ResNet44(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(44),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(56))
def ResNet56(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(56),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(110))
def ResNet110(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(110),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(1202))
def ResNet1202(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    shortcut="A",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(1202),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(20, residual=False))
def Plain20(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(20, residual=False),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(32, residual=False))
def Plain32(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(32, residual=False),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(44, residual=False))
def Plain44(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(44, residual=False),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(56, residual=False))
def Plain56(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(56, residual=False),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        kernel_regularizer=kernel_regularizer,
    )


@documented(cifar_spec(110, residual=False))
def Plain110(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        cifar_spec(110, residual=False),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        kernel_regularizer=kernel_regularizer,
    )


CONSTRUCTORS = {
    f.__name__.lower(): f
    for f in (
        *(ResNet20, ResNet32, ResNet44, ResNet56, ResNet110, ResNet1202),
        *(Plain20, Plain32, Plain44, Plain56, Plain110),
    )
}


def constructor(depth: int, residual: bool):
    """The constructor of the CIFAR net of any depth 6n+2: a written-out one where it exists
    (``ResNet56``), else one with the same signature for that depth.

    Example:
        >>> constructor(8, residual=False)().name
        'plain8'
    """
    named = CONSTRUCTORS.get(f"{'resnet' if residual else 'plain'}{depth}")
    if named is not None:
        return named
    template = ResNet20 if residual else Plain20
    spec = cifar_spec(depth, residual=residual)

    @functools.wraps(template)
    def build(*args, **kwargs) -> ResNetModel:
        bound = inspect.signature(template).bind(*args, **kwargs)
        bound.apply_defaults()
        return build_model(spec, **bound.arguments)

    build.__name__ = build.__qualname__ = f"{'ResNet' if residual else 'Plain'}{depth}"
    return documented(spec)(build)
