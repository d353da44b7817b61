"""A training recipe as data: everything the paper specifies about one training run."""

from __future__ import annotations

import dataclasses
import json

from keras_resnet.models.specs import get_spec
from keras_resnet.vocabulary import (
    DTYPE_POLICIES,
    check_choice,
    check_number,
    check_pieces,
    check_positive,
)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One of the paper's training setups (or a scaled version of it).

    Attributes:
        name: Registry name, e.g. ``"cifar10_resnet110"``.
        model: Model name for ``keras_resnet.get_model`` (e.g. ``"resnet110"``).
        dataset: Dataset name for ``keras_resnet.data.load``.
        batch_size: Global mini-batch (split across replicas under tf.distribute).
        steps: Training iterations in all.
        lr_values: Learning rate in each piece of the schedule (one more than boundaries).
        lr_boundaries: Iterations at which the next value starts.
        warmup_lr: Learning rate during warm-up (section 4.2, ResNet-110/1202), or None.
        warmup_steps: Longest warm-up; ``warmup_until_error`` may end it earlier.
        warmup_until_error: End warm-up once training error falls below this (0.8), or None.
        momentum: SGD momentum.
        weight_decay: Caffe-style weight decay on conv and dense kernels (not BN): an L2
            penalty of ``weight_decay / 2 * sum(w**2)``, whose gradient is ``weight_decay * w``.
        label_smoothing: 0 for the paper.
        mixed_precision: Default dtype policy, e.g. ``"mixed_bfloat16"``, or None.
        plateau: Divide the LR by 10 when validation error plateaus (ImageNet, section 3.4)
            instead of at ``lr_boundaries``.
        steps_per_epoch: Iterations between evaluations/checkpoints (None: one pass).
        model_options: Extra constructor arguments (e.g. ``{"shortcut": "A"}``).
        description: One line on where the recipe comes from.

    Example:
        >>> r = Recipe("toy", "resnet20", "cifar10", steps=100, lr_values=(0.1,), lr_boundaries=())
        >>> r.lr_at(50)
        0.1
    """

    name: str
    model: str
    dataset: str
    batch_size: int = 128
    steps: int = 64_000
    lr_values: tuple[float, ...] = (0.1, 0.01, 0.001)
    lr_boundaries: tuple[int, ...] = (32_000, 48_000)
    warmup_lr: float | None = None
    warmup_steps: int = 0
    warmup_until_error: float | None = None
    momentum: float = 0.9
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0
    mixed_precision: str | None = None
    plateau: bool = False
    steps_per_epoch: int | None = None
    model_options: dict = dataclasses.field(default_factory=dict)
    description: str = ""

    def __post_init__(self):
        check_pieces(self.lr_values, self.lr_boundaries, ("lr_values", "lr_boundaries"))
        check_positive("batch_size", self.batch_size, allow_none=False)
        check_positive("steps", self.steps, allow_none=False)
        check_positive("steps_per_epoch", self.steps_per_epoch)
        check_choice("mixed_precision", self.mixed_precision, DTYPE_POLICIES)
        check_choice("plateau", self.plateau, (False, True))
        for name, allowed, within, allow_none in (
            ("momentum", "a number in [0, 1]", lambda v: 0 <= v <= 1, False),
            ("weight_decay", "a number of 0 or more", lambda v: v >= 0, False),
            ("label_smoothing", "a number in [0, 1)", lambda v: 0 <= v < 1, False),
            ("warmup_lr", "None or a learning rate above 0", lambda v: v > 0, True),
            ("warmup_steps", "0 or more iterations", lambda v: v >= 0 and v % 1 == 0, False),
            ("warmup_until_error", "None or an error in (0, 1]", lambda v: 0 < v <= 1, True),
        ):
            check_number(name, getattr(self, name), allowed, within, allow_none=allow_none)
        try:  # here, not after train() has written this recipe into its output_dir
            get_spec(self.model)
        except ValueError as error:
            raise ValueError(
                f"Recipe {self.name!r}: the `model` argument should be a model name "
                f"(keras_resnet.list_models()). Received: model={self.model!r}"
            ) from error

    def lr_at(self, step: int) -> float:
        """The learning rate the schedule gives at iteration ``step`` (no early warm-up end).

        Example:
            >>> Recipe("r", "resnet110", "cifar10", warmup_lr=0.01, warmup_steps=400).lr_at(399)
            0.01
        """
        if self.warmup_lr is not None and step < self.warmup_steps:
            return self.warmup_lr
        for boundary, value in zip(self.lr_boundaries, self.lr_values, strict=False):
            if step < boundary:
                return value
        return self.lr_values[-1]

    def to_json(self) -> str:
        """The recipe as JSON (written to every output directory).

        Example:
            >>> '"model": "resnet20"' in Recipe("r", "resnet20", "cifar10").to_json()
            True
        """
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)
