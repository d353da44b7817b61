"""ImageNet networks of Table 1 (ResNet-18...152) and Table 2 (Plain-18/34), written out as
keras.applications writes its constructors; each passes its arguments to ``build_model``."""

from __future__ import annotations

from keras_resnet.models.builder import build_model
from keras_resnet.models.constructors import documented
from keras_resnet.models.model import ResNetModel
from keras_resnet.models.specs import imagenet_spec


@documented(imagenet_spec(18))
def ResNet18(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    variant="v1.5",
    shortcut="B",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(18),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        variant=variant,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(imagenet_spec(34))
def ResNet34(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    variant="v1.5",
    shortcut="B",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(34),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        variant=variant,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(imagenet_spec(50))
def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    variant="v1.5",
    shortcut="B",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(50),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        variant=variant,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(imagenet_spec(101))
def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    variant="v1.5",
    shortcut="B",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(101),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        variant=variant,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(imagenet_spec(152))
def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    variant="v1.5",
    shortcut="B",
    zero_init_residual=False,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(152),
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        variant=variant,
        shortcut=shortcut,
        zero_init_residual=zero_init_residual,
        kernel_regularizer=kernel_regularizer,
    )


@documented(imagenet_spec(18, residual=False))
def Plain18(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(18, residual=False),
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


@documented(imagenet_spec(34, residual=False))
def Plain34(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
    *,
    kernel_regularizer=None,
) -> ResNetModel:
    return build_model(
        imagenet_spec(34, residual=False),
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
    for f in (ResNet18, ResNet34, ResNet50, ResNet101, ResNet152, Plain18, Plain34)
}
