"""``load`` and ``info``: tensorflow-datasets + tf.data with the paper's preprocessing."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_datasets as tfds

from keras_resnet.data import transforms
from keras_resnet.data.catalog import CIFAR_STYLE, DatasetDefaults, defaults_for
from keras_resnet.data.mean import training_pixel_mean
from keras_resnet.data.sources import check_name, get_builder
from keras_resnet.data.views import evaluation_view
from keras_resnet.vocabulary import check_positive

AUTOTUNE = tf.data.AUTOTUNE


def info(name: str, data_dir: str | None = None, *, download: bool = True) -> dict:
    """Classes, class names, examples per split and image shape of a dataset.

    Example:
        >>> info("fashion_mnist")["class_names"][:2]  # doctest: +SKIP
        ['T-shirt/top', 'Trouser']
    """
    builder = get_builder(name, data_dir, download=download)
    image_key, label_key = builder.info.supervised_keys
    label = builder.info.features[label_key]
    return {
        "name": name,
        "classes": label.num_classes,
        "class_names": list(label.names),
        "splits": {split: s.num_examples for split, s in builder.info.splits.items()},
        "image_shape": tuple(builder.info.features[image_key].shape),
        "defaults": defaults_for(name, tuple(builder.info.features[image_key].shape)),
    }


def _seeds(seed: int | None):
    """A dataset of fresh [2]-shaped seeds, reproducible when ``seed`` is given.

    ``rerandomize_each_iteration`` gives every epoch new augmentations, still determined by
    ``seed``.
    """
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)


def _to_float(image, label):
    return tf.cast(image, tf.float32) / 255.0, label


def decoded(
    name: str,
    split: str = "test",
    *,
    data_dir: str | None = None,
    image_size: int | None = None,
    seed: int | None = None,
    shuffle_files: bool = False,
    download: bool = True,
) -> tuple[tf.data.Dataset, DatasetDefaults, int]:
    """Unbatched (float32 image, label) pairs before any crop or augmentation.

    CIFAR-like data: [0, 1] minus the per-pixel training mean, zero padded to ``image_size``.
    ImageNet-like data: [0, 1] at the stored size (RGB), not yet mean-subtracted. Returns the
    dataset, the dataset's defaults and the image size the pipeline targets.

    Example:
        >>> ds, defaults, size = decoded("fashion_mnist", "test")  # doctest: +SKIP
        >>> size  # doctest: +SKIP
        32
    """
    check_name(name)
    check_positive("image_size", image_size)
    builder = get_builder(name, data_dir, download=download)
    image_shape = tuple(builder.info.features[builder.info.supervised_keys[0]].shape)
    defaults = defaults_for(name, image_shape)
    size = image_size or defaults.image_size
    try:
        builder.info.splits[split]  # parses slices ("train[:90%]") and sums ("train+test")
    except (ValueError, AttributeError) as error:
        raise ValueError(
            f"The `split` argument should be a split of {name} "
            f"({', '.join(map(repr, builder.info.splits))}) or a TFDS split expression such as "
            f"'train[:90%]'. Received: split={split!r}"
        ) from error
    read_config = tfds.ReadConfig(shuffle_seed=seed, try_autocache=False)
    ds = builder.as_dataset(
        split=split, as_supervised=True, shuffle_files=shuffle_files, read_config=read_config
    )
    ds = ds.map(_to_float, num_parallel_calls=AUTOTUNE)
    if defaults.style == CIFAR_STYLE:
        mean = tf.constant(training_pixel_mean(builder))
        ds = ds.map(
            lambda image, label: (transforms.cifar_input(image, mean, size), label),
            num_parallel_calls=AUTOTUNE,
        )
    elif image_shape[-1] == 1:
        ds = ds.map(lambda image, label: (tf.image.grayscale_to_rgb(image), label))
    return ds, defaults, size


def load(
    name: str,
    split: str = "train",
    *,
    batch_size: int = 128,
    training: bool | None = None,
    data_dir: str | None = None,
    image_size: int | None = None,
    seed: int | None = None,
    cache: bool | None = None,
    repeat: bool = False,
    drop_remainder: bool | None = None,
    shuffle_buffer: int | None = None,
    download: bool = True,
    preprocessing: dict | None = None,
    skip: int = 0,
) -> tf.data.Dataset:
    """A batched ``tf.data.Dataset`` of (float32 NHWC images, int64 labels) with the paper's
    preprocessing.

    CIFAR-like data (cifar10/100, fashion_mnist, mnist, small images): pixels in [0, 1] minus
    the per-pixel mean of the training split (computed once, cached beside the data), zero
    padded to ``image_size`` (Fashion-MNIST 28 -> 32); training adds section 4.2's 4-pixel pad,
    random crop and horizontal flip (no flip for mnist). ImageNet-like data: section 3.4's
    scale augmentation, random 224 crop, flip and PCA colour noise for training; shorter side
    256 and a centre crop for evaluation; per-channel mean subtraction.

    Args:
        name: A dataset name (see ``keras_resnet.data.KNOWN_DATASETS``) or any TFDS image
            classification dataset.
        split: A TFDS split ("train", "test", "train[:90%]", ...).
        batch_size: Examples per batch (the global batch under tf.distribute).
        training: Augment and shuffle; defaults to ``split == "train"``.
        data_dir: TFDS data directory (default ``~/tensorflow_datasets``).
        image_size: Side of the delivered images (default 32 for CIFAR-like, 224 otherwise).
        seed: Makes shuffling and augmentation reproducible (and the order deterministic).
        cache: Keep decoded, mean-subtracted images in memory (default: on for CIFAR-like
            data, off for ImageNet-scale data, which would not fit).
        repeat: Repeat forever (for ``steps_per_epoch`` training).
        drop_remainder: Drop the last partial batch; defaults to ``training``.
        shuffle_buffer: Examples in the shuffle buffer when training. Default: the whole
            split when it is cached in memory (every epoch a uniform permutation, as the
            paper's data layer), else 10,000.
        download: Let TFDS download a dataset that is neither prepared nor on disk.
        preprocessing: A pretrained checkpoint's evaluation preprocessing, used instead of
            the paper's when evaluating ImageNet-style data (``training=False``): a model
            that carries its checkpoint (``preprocessing=model``), a ``Checkpoint`` or
            ``Preprocessing``, or a dict with keys ``mean``, ``std``, ``crop_pct``,
            ``interpolation``, ``input_size`` (as ``weights_info(name)["preprocessing"]``
            and timm's configs give them).
        skip: With ``training``, ``repeat`` and a ``seed``: examples of the stream to skip
            (a resumed run skips what its finished epochs used). The seeded stream (each
            pass's order, each example's augmentation) depends on ``seed`` and position
            alone, so after the skip it goes on exactly as the stopped one would have.

    Example:
        >>> ds = load("fashion_mnist", "test", batch_size=4)  # doctest: +SKIP
        >>> images, labels = next(iter(ds))  # doctest: +SKIP
        >>> images.shape  # doctest: +SKIP
        TensorShape([4, 32, 32, 1])
    """
    check_name(name)
    check_positive("batch_size", batch_size, allow_none=False)
    training = split == "train" if training is None else training
    if skip:  # tf.data reads a negative count as "skip everything": a repeated stream hangs
        check_positive("skip", skip, allow_none=False)
    if skip and not (training and repeat and seed is not None):
        raise ValueError(
            "The `skip` argument needs a repeated, seeded training stream (training=True, "
            f"repeat=True, seed=...). Received: skip={skip!r}"
        )
    drop_remainder = training if drop_remainder is None else drop_remainder

    ds, defaults, size = decoded(
        name, split, data_dir=data_dir, image_size=image_size, seed=seed,
        shuffle_files=training, download=download,
    )  # fmt: skip
    cifar_style = defaults.style == CIFAR_STYLE
    cache = cifar_style if cache is None else cache
    if cache:
        ds = ds.cache()
    if training:
        if shuffle_buffer is None:
            examples = int(ds.cardinality())
            shuffle_buffer = examples if cache and examples > 0 else 10_000
        # Repeated before augmentation, so the stream (each pass's order, each example's
        # augmentation seed) is a function of `seed` and position alone: `skip` then moves
        # a new iterator to where a stopped one was, without augmenting what it skips.
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        ds = tf.data.Dataset.zip(ds.repeat() if repeat else ds, _seeds(seed)).skip(skip)

        def augment(pair, s):
            image, label = pair
            if cifar_style:
                return transforms.pad_crop_flip(image, s, flip=defaults.flip), label
            return transforms.imagenet_train(image, s, size=size, flip=defaults.flip), label

        ds = ds.map(augment, num_parallel_calls=AUTOTUNE)
    elif not cifar_style:
        view = evaluation_view(defaults.style, size=size, preprocessing=preprocessing)
        ds = ds.map(lambda image, label: (view(image), label), num_parallel_calls=AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=AUTOTUNE)
    if repeat and not training:  # a training stream repeats before it is augmented
        ds = ds.repeat()
    options = tf.data.Options()
    # Evaluation is always in order; training only when a seed asks for reproducibility.
    options.deterministic = seed is not None or not training
    # Shard by example: small TFDS datasets have fewer files than a cluster has workers.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(AUTOTUNE)
