"""Find or prepare a TFDS dataset: already prepared, local IDX files, or TFDS's download."""

from __future__ import annotations

import tensorflow_datasets as tfds

from keras_resnet.data.catalog import KNOWN_DATASETS
from keras_resnet.data.files import DEBIAN_PACKAGES, source_dirs
from keras_resnet.data.local_builders import LOCAL_BUILDERS, prepare_local, quiet_tfds
from keras_resnet.errors import unknown_name
from keras_resnet.network import unreachable


def check_name(name: str, argument: str = "name") -> None:
    """Raise ValueError unless ``name`` is a known or TFDS-registered dataset; the error
    names the caller's ``argument``.

    Example:
        >>> check_name("fashion_mnist", argument="dataset")
    """
    if name in KNOWN_DATASETS:
        return
    registered = tfds.list_builders(with_community_datasets=False)
    if not isinstance(name, str) or name.split(":")[0] not in registered:
        raise unknown_name(
            "dataset",
            argument,
            name,
            list(KNOWN_DATASETS),
            extra=" or another tensorflow-datasets image classification dataset",
            candidates=registered,
        )


def get_builder(
    name: str, data_dir: str | None = None, *, download: bool = True
) -> tfds.core.DatasetBuilder:
    """A prepared TFDS builder for ``name``, preparing it first if needed.

    Order: data already prepared in ``data_dir``; raw files (the IDX files of fashion_mnist
    and mnist, the binary archive of cifar10/100) in ``$KERAS_RESNET_<NAME>_DIR``,
    ``<data_dir>/downloads/manual/<name>`` or the Debian package's directory; then TFDS's own
    download (unless ``download=False``). Fails with FileNotFoundError that says where to put
    the files.

    Example:
        >>> get_builder("fashion_mnist").info.name  # doctest: +SKIP
        'fashion_mnist'
    """
    check_name(name)
    with quiet_tfds():  # "no dataset_info.json" before it is prepared
        builder = tfds.builder(name, data_dir=data_dir)
        prepared = builder.is_prepared()
    if prepared:
        return builder
    if name in LOCAL_BUILDERS:
        for directory in source_dirs(name, data_dir):
            if LOCAL_BUILDERS[name].has_sources(directory):
                return prepare_local(name, directory, data_dir)
    searched = ", ".join(source_dirs(name, data_dir))
    package = DEBIAN_PACKAGES.get(name)
    debian = f" (on Debian: apt-get install {package})" if package else ""
    advice = (
        f"Put its raw files in one of: {searched}{debian}, or pass data_dir= where it is prepared."
    )
    if not download:
        raise FileNotFoundError(
            f"Dataset {name!r} is not prepared in {builder.data_dir} and download=False. {advice}"
        )
    cut_off = unreachable(builder.info.homepage or "https://storage.googleapis.com")
    if cut_off:  # one connection attempt, not TFDS' minutes of retries
        raise FileNotFoundError(
            f"Dataset {name!r} is not prepared in {builder.data_dir} and cannot be downloaded: "
            f"{cut_off}; this machine seems to be offline. {advice}"
        )
    try:
        builder.download_and_prepare()
    except Exception as error:
        raise FileNotFoundError(
            f"Dataset {name!r} is not prepared in {builder.data_dir} and could not be "
            f"downloaded ({type(error).__name__}: {str(error)[:300]}). {advice}"
        ) from error
    return builder
