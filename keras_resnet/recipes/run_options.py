"""How long and how a run trains: the options ``train``, ``study`` and ``fine_tune`` share,
checked once, here. It imports no Keras: the command line builds its options from the same
fields (their ``metadata``) before any framework starts.
"""

from __future__ import annotations

import dataclasses
import math

from keras_resnet.vocabulary import (
    DTYPE_POLICIES,
    PIPELINES,
    check_choice,
    check_positive,
    check_seed,
)


def _option(default=None, *, help: str | None = None, choices=None, flag_type=int):
    """A field of ``RunOptions``; ``help`` marks it as an option of the ``train`` and
    ``study`` commands (``flag_type`` parses it, ``choices`` limit it)."""
    metadata = {"help": help, "choices": choices, "type": flag_type} if help else {}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The options of a training run, each checked when the value is made (one line naming
    the argument, the value and what is allowed), before anything is read or written.

    Example:
        >>> RunOptions(steps=40, steps_per_epoch=20).steps
        40
        >>> RunOptions(pipeline="gpu")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The `pipeline` argument should be one of None, 'memory', 'tfdata'. ...
    """

    steps: int | None = _option(help="total iterations (default: the recipe's)")
    epochs: int | None = None
    steps_per_epoch: int | None = _option(help="iterations between evaluations and checkpoints")
    batch_size: int | None = _option(help="global batch (default: the recipe's)")
    validation_steps: int | None = _option(
        help="evaluate on this many test batches only, for quick checks (default: all)"
    )
    mixed_precision: str | None = _option(
        help="dtype policy (default: the recipe's; float32 for the shipped recipes)",
        choices=DTYPE_POLICIES[1:], flag_type=str,
    )  # fmt: skip
    pipeline: str | None = _option(
        help="memory: the dataset held in memory, augmented inside the compiled step (no "
        "TensorFlow needed); tfdata: tensorflow-datasets + tf.data (default: the one a "
        "resumed run started with, else memory for fashion_mnist, mnist, cifar10/100)",
        choices=PIPELINES, flag_type=str,
    )  # fmt: skip
    steps_per_execution: int = _option(
        1, help="training steps per compiled call; must divide the epoch's steps (default: 1)"
    )
    seed: int | None = None
    data_dir: str | None = _option(help="tensorflow-datasets data directory", flag_type=str)

    def __post_init__(self):
        if self.steps is not None and self.epochs is not None:
            raise ValueError(
                f"Give `steps` or `epochs`, not both. Received: steps={self.steps!r}, "
                f"epochs={self.epochs!r}"
            )
        for name in ("steps", "epochs", "steps_per_epoch", "batch_size", "validation_steps"):
            check_positive(name, getattr(self, name))
        check_positive("steps_per_execution", self.steps_per_execution, allow_none=False)
        check_seed(self.seed)
        check_choice("mixed_precision", self.mixed_precision, DTYPE_POLICIES)
        check_choice("pipeline", self.pipeline, (None, *PIPELINES))
        if self.steps and self.steps_per_epoch:
            check_whole_epochs(self.steps, min(self.steps_per_epoch, self.steps))

    def plan(self, recipe, train_examples: int) -> tuple[int, int]:
        """(iterations per epoch, epochs) of ``recipe`` on ``train_examples`` images: whole
        epochs, each ending on a whole compiled call.

        Example:
            >>> from keras_resnet.recipes import registry
            >>> RunOptions(steps=40, steps_per_epoch=20).plan(registry.get("cifar10_resnet20"),
            ...                                               50_000)
            (20, 2)
        """
        batch = self.global_batch(recipe)
        per_epoch = (
            self.steps_per_epoch or recipe.steps_per_epoch or math.ceil(train_examples / batch)
        )
        total = self.epochs * per_epoch if self.epochs else (self.steps or recipe.steps)
        per_epoch = min(per_epoch, total)
        check_whole_epochs(total, per_epoch)
        self._check_steps_per_execution(per_epoch)
        return per_epoch, total // per_epoch

    def global_batch(self, recipe) -> int:
        """The batch across replicas: ``batch_size``, else the recipe's.

        Example:
            >>> from keras_resnet.recipes import registry
            >>> RunOptions().global_batch(registry.get("cifar10_resnet20"))
            128
        """
        return self.batch_size or recipe.batch_size

    def _check_steps_per_execution(self, per_epoch: int) -> None:
        import keras  # the run's backend decides; plan() runs once Keras has started

        if self.steps_per_execution > 1 and keras.backend.backend() == "torch":
            raise ValueError(
                "The `steps_per_execution` argument should be 1 on the PyTorch backend of "
                "Keras (it runs one step per call). Received: "
                f"steps_per_execution={self.steps_per_execution}"
            )
        if per_epoch % self.steps_per_execution:
            raise ValueError(
                f"The `steps_per_execution` argument should divide the epoch's {per_epoch} "
                f"steps, so every epoch ends on a whole call. Received: "
                f"steps_per_execution={self.steps_per_execution}"
            )


def check_whole_epochs(total: int, per_epoch: int) -> None:
    """Training runs whole epochs: refuse ``total`` steps that ``per_epoch`` does not divide,
    suggesting the nearest divisor.

    Example:
        >>> check_whole_epochs(100, 30)
        Traceback (most recent call last):
        ...
        ValueError: Training runs whole epochs: `steps` (100) should be a multiple of \
`steps_per_epoch` (30); for example steps_per_epoch=25.
    """
    if total % per_epoch:
        raise ValueError(
            f"Training runs whole epochs: `steps` ({total}) should be a multiple of "
            f"`steps_per_epoch` ({per_epoch}); for example steps_per_epoch="
            f"{max(d for d in range(1, per_epoch + 1) if total % d == 0)}."
        )


def command_line_options() -> list[dataclasses.Field]:
    """The ``RunOptions`` fields the ``train`` and ``study`` commands share, as ``--flags``.

    Example:
        >>> [field.name for field in command_line_options()][:2]
        ['steps', 'steps_per_epoch']
    """
    return [field for field in dataclasses.fields(RunOptions) if field.metadata]
