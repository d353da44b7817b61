"""Where a run's data comes from: the pipeline chosen once (``DataSource``), and the batches
``fit`` trains and validates on (``TrainingData``), from the in-memory stream or tf.data."""

from __future__ import annotations

import dataclasses

import keras

from keras_resnet import data
from keras_resnet.data.memory import InMemoryDataset, load_in_memory
from keras_resnet.recipes.in_memory import default_pipeline, stream_and_test_arrays, stream_seed
from keras_resnet.recipes.recipe import Recipe
from keras_resnet.recipes.run_folder import RunFolder


@dataclasses.dataclass
class TrainingData:
    """What ``fit`` trains on and validates with: a tf.data pipeline, or the in-memory stream
    and the test arrays (``validation_batch_size`` then set); ``seed`` is the stream's.

    Example:
        >>> TrainingData(train=[], validation=[]).validation_arguments()
        {'validation_data': []}
    """

    train: object
    validation: object
    validation_batch_size: int | None = None
    seed: int | None = None

    def validation_arguments(self) -> dict:
        arguments = {"validation_data": self.validation}
        if self.validation_batch_size is not None:
            arguments["validation_batch_size"] = self.validation_batch_size
        return arguments

    def evaluate(self, model: keras.Model) -> dict:
        if self.validation_batch_size is None:
            return model.evaluate(self.validation, return_dict=True, verbose=0)
        (x, y), batch = self.validation, self.validation_batch_size
        return model.evaluate(x, y, batch_size=batch, return_dict=True, verbose=0)


@dataclasses.dataclass(frozen=True)
class DataSource:
    """A run's dataset, its ``pipeline`` ("memory" or "tfdata"), the dataset decoded into
    memory for the memory pipeline (else None) and its ``info``.

    Example:
        >>> source = DataSource.choose(None, "fashion_mnist", RunFolder("runs/x"))  # doctest: +SKIP
        >>> source.pipeline, source.info["classes"]  # doctest: +SKIP
        ('memory', 10)
    """

    dataset: str
    pipeline: str
    in_memory: InMemoryDataset | None
    info: dict
    data_dir: str | None = None

    @classmethod
    def choose(cls, pipeline: str | None, dataset: str, folder: RunFolder,
               data_dir: str | None = None) -> DataSource:  # fmt: skip
        """``pipeline``, or by default the one the folder's resumed run started with, else
        memory for the small datasets read from their raw files and tf.data for the others;
        another pipeline than a resumed run's is refused before any data is read."""
        pipeline = choose_pipeline(pipeline, dataset, folder)
        in_memory = load_in_memory(dataset, data_dir) if pipeline == "memory" else None
        info = in_memory.info() if in_memory else data.info(dataset, data_dir)
        return cls(dataset, pipeline, in_memory, info, data_dir)

    def training_data(self, recipe: Recipe, *, batch_size: int, seed: int | None,
                      validation_steps: int | None, start_step: int) -> TrainingData:  # fmt: skip
        """The recipe's training batches from ``start_step`` on, and its test batches (the
        first ``validation_steps`` where given); one-hot labels for label smoothing."""
        classes = self.info["classes"] if recipe.label_smoothing else None
        if self.in_memory is not None:
            seed = stream_seed(seed)
            train, validation = stream_and_test_arrays(
                self.in_memory, batch_size=batch_size, seed=seed, start_step=start_step,
                validation_steps=validation_steps, classes=classes,
            )  # fmt: skip
            return TrainingData(train, validation, batch_size, seed)
        train_ds = data.load(
            self.dataset, "train", batch_size=batch_size, training=True, data_dir=self.data_dir,
            seed=seed, repeat=True, skip=start_step * batch_size,
        )  # fmt: skip
        test_ds = data.load(self.dataset, "test", batch_size=batch_size, data_dir=self.data_dir)
        if validation_steps is not None:
            test_ds = test_ds.take(validation_steps)
        if classes is not None:
            one_hot = lambda x, y: (x, keras.ops.one_hot(y, classes))  # noqa: E731
            train_ds, test_ds = train_ds.map(one_hot), test_ds.map(one_hot)
        return TrainingData(train_ds, test_ds, seed=seed)

    def tested_images(self, validation_steps: int | None, batch_size: int) -> dict:
        """How many test images the metrics describe (``validation_steps`` may take part of
        the split) and how many the split has."""
        split = self.info["splits"]["test"]
        shown = min(split, validation_steps * batch_size) if validation_steps else split
        return {"test_images": shown, "test_split_images": split}


def choose_pipeline(pipeline: str | None, dataset: str, folder: RunFolder) -> str:
    """``pipeline``, or by default the one a resumed run started with, else ``"memory"`` for
    the small datasets read from their raw files and ``"tfdata"`` for the others.

    Example:
        >>> choose_pipeline(None, "imagenet2012", RunFolder("/nonexistent"))
        'tfdata'
    """
    if pipeline is None:
        return folder.recorded_pipeline or default_pipeline(dataset)
    folder.check_pipeline(pipeline)
    return pipeline
