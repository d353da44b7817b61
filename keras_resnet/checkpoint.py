"""A checkpoint as one typed, frozen value: where its weights are, what they fit, and how
images must be prepared for them (timm's ``pretrained_cfg``, torchvision's weights enum).

One constructor per origin: ``from_registry`` (registry.json), ``from_registration``
(``register_weights``), ``from_hf_config`` (an ``hf://`` repo's config.json) and
``from_dict`` (what ``to_dict`` wrote, e.g. inside a ``.keras`` file). A model built with
pretrained weights, or trained by ``keras_resnet.recipes``, carries its checkpoint as
``model.checkpoint``, and every consumer (``preprocess_input(model=)``, ``data.load``,
``recipes.evaluate``, ``predict``) reads it from there. It imports only two leaves (the
vocabulary and ``weight_files``), so models, data, the zoo and the recipes all use it.

The preprocessing keys a checkpoint may state (timm's ``pretrained_cfg`` names) and their
checks live here too: ``preprocessing_values`` / ``check_preprocessing`` for the values,
``preprocessing_dict`` for whatever names them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from keras_resnet.vocabulary import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    SHORTCUTS,
    VARIANTS,
    check_choice,
    check_number,
    check_positive,
    real_numbers,
    refuse,
)
from keras_resnet.weight_files import PICKLE_SUFFIXES, refuse_pickle

#: What a pretrained checkpoint's evaluation preprocessing may say.
PREPROCESSING_KEYS = ("mean", "std", "crop_pct", "interpolation", "input_size")
INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "area", "lanczos3")
#: torchvision's evaluation preprocessing: what a checkpoint that states none of it gets.
PREPROCESSING_DEFAULTS = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD, "crop_pct": 0.875,
                          "interpolation": "bilinear", "input_size": (3, 224, 224)}  # fmt: skip


def check_preprocessing(mean, std, crop_pct, interpolation, input_size) -> None:
    """Refuse preprocessing values (``PREPROCESSING_KEYS``; tuples, not lists) that no
    pipeline can use: 1 or 3 means and stds above 0, crop_pct in (0, 1], three positive
    integers as ``input_size`` (channels, height, width).

    Example:
        >>> check_preprocessing(IMAGENET_MEAN, IMAGENET_STD, 1.2, "bilinear", (3, 224, 224))
        Traceback (most recent call last):
        ...
        ValueError: The `crop_pct` argument should be a number in (0, 1]. Received: crop_pct=1.2
    """
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    if not real_numbers(mean) or len(mean) not in (1, 3):
        refuse("mean", mean, "a tuple of 1 or 3 numbers (per channel, on [0, 1])")
    if not real_numbers(std) or len(std) not in (1, 3) or min(std) <= 0:
        refuse("std", std, "a tuple of 1 or 3 numbers above 0")
    check_number("crop_pct", crop_pct, "a number in (0, 1]", lambda v: 0 < v <= 1)
    size = input_size
    if not (
        real_numbers(size) and len(size) == 3 and all(isinstance(v, int) and v > 0 for v in size)
    ):
        refuse("input_size", size, "(channels, height, width): three positive integers")


def preprocessing_values(values: Mapping | None, *, extra_keys: tuple[str, ...] = ()) -> dict:
    """``values`` (some of ``PREPROCESSING_KEYS``, and ``extra_keys``) completed with
    ``PREPROCESSING_DEFAULTS``, lists and arrays as tuples, an int ``input_size`` as
    ``(3, size, size)`` (timm's configs hold both), and checked by ``check_preprocessing``.
    Unknown keys are refused by name.

    Example:
        >>> values = preprocessing_values({"input_size": 256, "mean": [0.5], "std": [0.25]})
        >>> values["input_size"], values["mean"], values["crop_pct"]
        ((3, 256, 256), (0.5,), 0.875)
    """
    values = dict(values or {})
    allowed = (*PREPROCESSING_KEYS, *extra_keys)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(
            f"The `preprocessing` argument takes the keys {allowed}. "
            f"Received unknown keys: {sorted(unknown)}"
        )
    values = {
        k: v if isinstance(v, str) or not hasattr(v, "__iter__") else tuple(v)
        for k, v in {**PREPROCESSING_DEFAULTS, **values}.items()
    }
    if isinstance(values["input_size"], int):
        values["input_size"] = (3, values["input_size"], values["input_size"])
    check_preprocessing(**{k: values[k] for k in PREPROCESSING_KEYS})
    return values


def preprocessing_dict(preprocessing) -> dict | None:
    """The preprocessing fields of whatever names them: None, a dict (timm's keys), a
    ``Preprocessing``, a ``Checkpoint``, or a model that carries one (``model.checkpoint``).

    Example:
        >>> preprocessing_dict({"crop_pct": 0.95})
        {'crop_pct': 0.95}
        >>> preprocessing_dict(keras_resnet.ResNet20()) is None  # random weights: none
        True
    """
    if preprocessing is not None and hasattr(preprocessing, "layers"):  # a keras.Model
        preprocessing = getattr(preprocessing, "checkpoint", None)
    if preprocessing is not None and hasattr(preprocessing, "preprocessing"):  # a Checkpoint
        preprocessing = preprocessing.preprocessing
    if preprocessing is not None and hasattr(preprocessing, "to_dict"):  # a Preprocessing
        preprocessing = preprocessing.to_dict()
    if preprocessing is None:
        return None
    if not isinstance(preprocessing, Mapping):
        raise ValueError(
            "The `preprocessing` argument should be None, a dict of mean/std/crop_pct/"
            "interpolation/input_size, a keras_resnet Preprocessing or Checkpoint, or a model "
            f"that carries one. Received: preprocessing={preprocessing!r}"
        )
    return dict(preprocessing)


#: How a checkpoint's file is laid out, which picks its converter: torchvision/timm tensor
#: names, keras_resnet's own layer/variable names, or a legacy keras.applications ``.h5``.
FORMATS = ("timm", "keras_resnet", "keras_applications")


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """How images must be prepared for a model.

    For a pretrained checkpoint: its evaluation view (timm's names): shorter side
    ``floor(size / crop_pct)`` with ``interpolation``, centre crop to ``input_size``, then
    ``(x / 255 - mean) / std``. For a model trained by ``keras_resnet.recipes``: ``dataset``
    names the ``keras_resnet.data`` dataset whose evaluation pipeline it was trained with
    (e.g. Fashion-MNIST's per-pixel mean and 32x32 padding); the other fields then do not
    apply.

    Example:
        >>> p = Preprocessing.from_dict({"crop_pct": 0.95, "interpolation": "bicubic"})
        >>> p.crop_pct, p.mean
        (0.95, (0.485, 0.456, 0.406))
        >>> Preprocessing.from_dict(p.to_dict()) == p
        True
    """

    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    interpolation: str = "bilinear"
    crop_pct: float = 0.875
    input_size: tuple[int, int, int] = (3, 224, 224)
    dataset: str | None = None

    def __post_init__(self):
        check_preprocessing(self.mean, self.std, self.crop_pct, self.interpolation, self.input_size)

    @classmethod
    def from_dict(cls, values: Mapping | None) -> Preprocessing:
        """From timm-style keys (``mean``, ``std``, ``crop_pct``, ``interpolation``,
        ``input_size``) and ``dataset``; missing keys take torchvision's defaults."""
        return cls(**preprocessing_values(values, extra_keys=("dataset",)))

    def to_dict(self) -> dict:
        """The fields as JSON-ready values (tuples as lists); a recipe-trained model's is its
        ``dataset`` alone: ImageNet's mean and std, the defaults, do not apply to it.

        Example:
            >>> Preprocessing(dataset="fashion_mnist").to_dict()
            {'dataset': 'fashion_mnist'}
        """
        if self.dataset is not None:
            return {"dataset": self.dataset}
        fields = dataclasses.asdict(self).items()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in fields if k != "dataset"}

    def __repr__(self) -> str:
        shown = {"dataset": self.dataset} if self.dataset is not None else {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "dataset"
        }  # fmt: skip
        return f"Preprocessing({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its identity, location and pins, what it fits, its preprocessing.

    Attributes:
        name: ``"<arch>.<tag>"`` for the zoo, ``"hf://owner/repo[@rev]"``, or a run's name.
        arch: The model it fits (``"resnet50"``).
        format: One of ``FORMATS``: picks the converter of its file.
        variant, shortcut, num_classes: What the weights were trained as (shortcut
            ``"none"`` for plain nets).
        preprocessing: A ``Preprocessing``.
        repo_id, filename, revision, sha256: Where it lives on the Hub and its pins (None
            where not pinned: downloads are then checked against the sha256 the Hub reports).
        class_names: Names of the outputs, or None (a 1000-class model: ImageNet's).
        metrics, license, origin, reference: Provenance (``metrics["top1"]`` as reported).

    Example:
        >>> c = Checkpoint.from_registry("resnet50.tv_in1k", {
        ...     "arch": "resnet50", "repo_id": "timm/resnet50.tv_in1k",
        ...     "filename": "model.safetensors", "format": "timm"})
        >>> c.tag, c.preprocessing.crop_pct, c.pin_note is not None
        ('tv_in1k', 0.875, True)
    """

    name: str
    arch: str
    format: str = "keras_resnet"
    variant: str = "v1.5"
    shortcut: str = "B"
    num_classes: int = 1000
    preprocessing: Preprocessing = Preprocessing()
    repo_id: str | None = None
    filename: str | None = None
    revision: str | None = None
    sha256: str | None = None
    class_names: tuple[str, ...] | None = None
    metrics: Mapping = dataclasses.field(default_factory=dict, hash=False)
    license: str | None = None
    origin: str | None = None
    reference: str | None = None

    def __post_init__(self):
        check_choice("format", self.format, FORMATS)
        check_choice("variant", self.variant, VARIANTS)
        check_choice("shortcut", self.shortcut, (*SHORTCUTS, "none"))  # "none": plain nets
        check_positive("num_classes", self.num_classes, allow_none=False)
        names = self.class_names
        if names is not None and (
            not isinstance(names, tuple)
            or len(names) != self.num_classes
            or not all(isinstance(n, str) for n in names)
        ):
            raise ValueError(
                f"The `class_names` argument should be None or {self.num_classes} strings "
                f"(num_classes). Received: class_names={names!r}"
            )
        if self.filename is not None:
            parts = str(self.filename).replace("\\", "/").split("/")
            if not isinstance(self.filename, str) or not all(parts) or ".." in parts:
                raise ValueError(
                    "The `filename` argument should be a file's path inside its repository. "
                    f"Received: filename={self.filename!r}"
                )
        if self.filename and self.filename.lower().endswith(PICKLE_SUFFIXES):
            refuse_pickle("filename", self.filename)

    @property
    def tag(self) -> str:
        """The part after the architecture: ``"tv_in1k"`` of ``"resnet50.tv_in1k"``."""
        return self.name.split(".", 1)[1] if "." in self.name else self.name

    @property
    def pin_note(self) -> str | None:
        """None when revision and sha256 are pinned; otherwise how downloads are checked."""
        if self.repo_id is None or (self.sha256 and self.revision):
            return None
        if self.revision:
            return "revision pinned, sha256 unknown: checked against the sha256 the Hub reports"
        return (
            "no pinned revision or sha256: downloads follow 'main' and are checked against "
            "the sha256 the Hub reports; run weights/pin.py online to pin"
        )

    @classmethod
    def from_dict(cls, values: Mapping) -> Checkpoint:
        """The inverse of ``to_dict`` (unknown keys are refused by name)."""
        values = dict(values)
        values.pop("tag", None)
        values.pop("pin_note", None)
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - fields
        if unknown:
            raise ValueError(
                f"A checkpoint has no fields {sorted(unknown)}; it has {sorted(fields)}"
            )
        values["preprocessing"] = Preprocessing.from_dict(values.get("preprocessing"))
        if values.get("class_names") is not None:
            values["class_names"] = tuple(values["class_names"])
        return cls(**values)

    @classmethod
    def from_registry(cls, name: str, entry: Mapping) -> Checkpoint:
        """A shipped registry.json entry called ``name``."""
        return cls.from_dict({**entry, "name": name})

    @classmethod
    def from_registration(cls, name: str, **fields) -> Checkpoint:
        """What ``register_weights(name, **fields)`` describes (arguments checked there)."""
        defaults = {"origin": "registered by the user", "metrics": {"top1": None}}
        return cls.from_dict({**defaults, **fields, "name": name, "arch": name.split(".")[0]})

    @classmethod
    def from_hf_config(cls, config, *, repo_id: str, revision: str | None) -> Checkpoint:
        """An ``hf://`` repo's checkpoint from its ``config.json``.

        A timm config (``architecture`` + ``pretrained_cfg``) means torchvision-layout
        ``model.safetensors``, v1.5; the zoo's own card (``"library_name": "keras_resnet"``)
        names its file, format, arch, variant and shortcut.

        Example:
            >>> c = Checkpoint.from_hf_config({"architecture": "resnet50", "num_classes": 1000,
            ...     "pretrained_cfg": {"interpolation": "bicubic", "crop_pct": 0.95}},
            ...     repo_id="timm/resnet50.a1_in1k", revision=None)
            >>> c.arch, c.format, c.preprocessing.crop_pct, c.name
            ('resnet50', 'timm', 0.95, 'hf://timm/resnet50.a1_in1k')
        """
        where = f"The config.json of hf://{repo_id}"
        if not isinstance(config, Mapping):
            raise ValueError(f"{where} should hold a JSON object, not {type(config).__name__}.")
        name = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
        common = {"name": name, "repo_id": repo_id, "revision": revision, "origin": name}
        if config.get("library_name") == "keras_resnet":
            if "arch" not in config:
                raise ValueError(f"{where} is a keras_resnet model card without `arch`.")
            card_keys = ("arch", "filename", "format", "variant", "shortcut", "num_classes",
                         "sha256", "preprocessing", "class_names", "license")  # fmt: skip
            card = {k: config[k] for k in card_keys if k in config}
            return cls.from_dict({"filename": "model.safetensors", **card, **common})
        if "architecture" in config:
            cfg = config.get("pretrained_cfg") or {}
            return cls(
                arch=str(config["architecture"]).split(".")[0], filename="model.safetensors",
                format="timm", num_classes=config.get("num_classes", cfg.get("num_classes", 1000)),
                preprocessing=Preprocessing.from_dict(
                    {k: cfg[k] for k in PREPROCESSING_KEYS if k in cfg}
                ),
                license=cfg.get("license"), **common,
            )  # fmt: skip
        raise ValueError(
            f"{where} is neither a timm config (`architecture`) nor a keras_resnet model card "
            "(`library_name: keras_resnet`)."
        )

    def to_dict(self) -> dict:
        """Every field as JSON-ready values, plus ``tag`` and ``pin_note``.

        Example:
            >>> Checkpoint("resnet18.x", "resnet18").to_dict()["preprocessing"]["crop_pct"]
            0.875
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["preprocessing"] = self.preprocessing.to_dict()
        out["metrics"] = dict(self.metrics)
        if self.class_names is not None:
            out["class_names"] = list(self.class_names)
        return {**out, "tag": self.tag, "pin_note": self.pin_note}
