"""The paper's learning-rate schedule, counted in iterations, with an early-ending warm-up.

Keras-only (no TensorFlow-specific code), so ``import keras_resnet`` registers
``PaperSchedule`` and a recipe's saved ``best.keras`` / ``last.keras`` load without importing
``keras_resnet.recipes``.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_resnet.vocabulary import check_number, check_pieces


@keras.saving.register_keras_serializable(package="keras_resnet")
class PaperSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Piecewise-constant LR by iteration, after an optional constant warm-up.

    ``warmup_lr`` holds for the first ``warmup_steps`` iterations (section 4.2: 0.01 for
    ResNet-110 until training error is below 80%); the ``WarmupUntilError`` callback can end
    it early by lowering ``warmup_end``. ``scale`` multiplies every value (linear scaling
    with the global batch).

    Example:
        >>> s = PaperSchedule([0.1, 0.01], [32000], warmup_lr=0.01, warmup_steps=400)
        >>> [round(float(s(i)), 4) for i in (0, 399, 400, 32000)]
        [0.01, 0.01, 0.1, 0.01]
    """

    def __init__(
        self,
        values,
        boundaries,
        warmup_lr: float | None = None,
        warmup_steps: int = 0,
        scale: float = 1.0,
    ):
        check_pieces(values, boundaries)
        check_number("warmup_lr", warmup_lr, "a learning rate above 0", lambda v: v > 0,
                     allow_none=True)  # fmt: skip
        check_number("scale", scale, "a number above 0", lambda v: v > 0)
        check_number("warmup_steps", warmup_steps, "0 or more iterations",
                     lambda v: v >= 0 and v % 1 == 0)  # fmt: skip
        self.values = [float(v) for v in values]
        self.boundaries = [int(b) for b in boundaries]
        self.warmup_lr = warmup_lr
        self.warmup_steps = int(warmup_steps)
        self.scale = float(scale)
        # int32: JAX without x64 truncates int64 with a warning per call; 2**31 iterations
        # is far beyond any recipe (ImageNet's is 600,000).
        self.warmup_end = keras.Variable(
            self.warmup_steps if warmup_lr is not None else 0,
            dtype="int32",
            trainable=False,
            name="warmup_end",
        )

    def __call__(self, step):
        step = ops.cast(step, "int32")
        lr = ops.convert_to_tensor(self.values[-1], "float32")
        for boundary, value in reversed(list(zip(self.boundaries, self.values, strict=False))):
            lr = ops.where(step < boundary, value, lr)
        if self.warmup_lr is not None:
            lr = ops.where(step < self.warmup_end, self.warmup_lr, lr)
        return lr * self.scale

    def get_config(self):
        return {
            "values": self.values,
            "boundaries": self.boundaries,
            "warmup_lr": self.warmup_lr,
            "warmup_steps": self.warmup_steps,
            "scale": self.scale,
        }


class WarmupUntilError(keras.callbacks.Callback):
    """End the schedule's warm-up once training error falls below ``threshold``.

    Section 4.2: "we use 0.01 to warm up the training until the training error is below 80%
    (about 400 iterations), and then go back to 0.1".

    Example:
        >>> callback = WarmupUntilError(PaperSchedule([0.1], [], 0.01, 400), threshold=0.8)
        >>> callback.ended_at is None  # the step the warm-up ended at, once it has
        True
    """

    def __init__(self, schedule: PaperSchedule, threshold: float = 0.8, metric: str = "accuracy"):
        super().__init__()
        check_number("threshold", threshold, "a training error in (0, 1]", lambda v: 0 < v <= 1)
        self.schedule, self.threshold, self.metric = schedule, threshold, metric
        self.ended_at: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        if self.ended_at is not None or not logs or self.metric not in logs:
            return
        step = int(self.model.optimizer.iterations.numpy())
        if step >= int(self.schedule.warmup_end.numpy()):
            self.ended_at = int(self.schedule.warmup_end.numpy())
        elif 1.0 - float(logs[self.metric]) < self.threshold:
            self.schedule.warmup_end.assign(step)
            self.ended_at = step
