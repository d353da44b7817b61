"""A checkpoint as one typed, frozen value: where its weights are, what they fit, and how
images must be prepared for them (timm's ``pretrained_cfg``, torchvision's weights enum).

One constructor per origin: ``from_registry`` (registry.json), ``from_registration``
(``register_weights``), ``from_hf_config`` (an ``hf://`` repo's config.json) and
``from_dict`` (what ``to_dict`` wrote, e.g. inside a ``.keras`` file). A model built with
pretrained weights, or trained by ``keras_resnet.recipes``, carries its checkpoint as
``model.checkpoint``, and every consumer (``preprocess_input(model=)``, ``data.load``,
``recipes.evaluate``, ``predict``) reads it from there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from keras_resnet.vocabulary import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PICKLE_SUFFIXES,
    PREPROCESSING_KEYS,
    SHORTCUTS,
    VARIANTS,
    check_choice,
    check_positive,
    check_preprocessing,
    preprocessing_values,
)

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
        """The fields as JSON-ready values (tuples as lists); ``dataset`` only when set."""
        fields = dataclasses.asdict(self).items()
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in fields}
        if out["dataset"] is None:
            del out["dataset"]
        return out


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
            raise ValueError(
                f"The checkpoint {self.name!r} names the pickle file {self.filename!r}: "
                "keras_resnet never unpickles weight files (they can run arbitrary code); "
                "publish a `.safetensors` file instead."
            )

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

    def check_fits(self, target) -> None:
        """Refuse, before any download, a checkpoint whose layout differs from ``target``'s
        (a ``Target``: arch, variant, shortcut, include_top, classes).

        Example:
            >>> from keras_resnet.zoo.loading import Target
            >>> Checkpoint("resnet50.x", "resnet50").check_fits(Target("resnet50", "v1"))
            Traceback (most recent call last):
            ...
            ValueError: The checkpoint 'resnet50.x' is variant 'v1.5' (every ImageNet \
checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)), but the model was built \
with variant='v1'. Pass `variant='v1.5'` (keras.applications' Caffe-converted `.h5` weights \
load into variant='v1').
        """
        if self.arch != target.arch:
            from keras_resnet.zoo.registry import list_weights

            raise ValueError(
                f"The checkpoint {self.name!r} holds weights for {self.arch}, not {target.arch}. "
                f"Build {self.arch} instead, or pick weights from "
                f"{list_weights(target.arch) or 'none'}."
            )
        if target.variant is not None and self.variant != target.variant:
            hint = (
                "every ImageNet checkpoint on the Hub is v1.5 (torchvision's stride on the 3x3)"
                if self.variant == "v1.5"
                else "this checkpoint puts the stride on the first 1x1, as the paper"
            )
            v1_hint = (
                " (keras.applications' Caffe-converted `.h5` weights load into variant='v1')"
                if target.variant == "v1"
                else ""
            )
            raise ValueError(
                f"The checkpoint {self.name!r} is variant {self.variant!r} ({hint}), but the "
                f"model was built with variant={target.variant!r}. Pass "
                f"`variant={self.variant!r}`{v1_hint}."
            )
        if target.shortcut != self.shortcut:
            raise ValueError(
                f"The checkpoint {self.name!r} was trained with shortcut {self.shortcut!r}, but "
                f"the model was built with shortcut={target.shortcut!r}: its layers would not "
                f"match. Pass `shortcut={self.shortcut!r}` or `weights=None`."
            )
        if target.include_top and target.classes != self.num_classes:
            raise ValueError(
                f"If using `weights={self.name!r}` with `include_top=True`, `classes` should be "
                f"{self.num_classes}. Received: classes={target.classes}"
            )
