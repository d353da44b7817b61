"""A user's class-per-folder images split per class, seeded, recorded and re-read."""

import json
import os

import pytest
from PIL import Image

from keras_resnet.data.folder_split import (
    SPLIT_FILE,
    record_split,
    recorded_split,
    same_split,
    split_folder,
)


def _tree(root, sizes: dict) -> str:
    for name, count in sizes.items():
        os.makedirs(root / name, exist_ok=True)
        for index in range(count):
            Image.new("RGB", (4, 4), (index, 0, 0)).save(root / name / f"{index:03d}.png")
    return str(root)


def test_the_split_is_stratified_seeded_and_each_class_its_own(tmp_path):
    root = _tree(tmp_path / "photos", {"cats": 10, "dogs": 5})
    split = split_folder(root, validation_split=0.2, seed=0)
    assert split.class_names == ("cats", "dogs") and split.counts() == {
        "cats": (8, 2),
        "dogs": (4, 1),
    }
    assert split == split_folder(root, validation_split=0.2, seed=0)
    others = {split_folder(root, validation_split=0.2, seed=s).validation for s in range(1, 6)}
    assert len(others - {split.validation}) >= 4  # other seeds hold out other images
    held = {p for p, _ in split.validation}
    assert held.isdisjoint(p for p, _ in split.train) and len(held) == 3
    _tree(tmp_path / "photos", {"birds": 7})  # a new class leaves the others' split as it was
    grown = split_folder(root, validation_split=0.2, seed=0)
    assert {p for p, _ in grown.validation if not p.startswith("birds")} == held
    assert split_folder(root, validation_split=0, seed=0).counts()["dogs"] == (5, 0)
    paths, labels = split.files("validation")
    assert all(os.path.isfile(p) for p in paths) and sorted(set(labels)) == [0, 1]


def test_a_class_too_small_for_the_split_is_refused_in_one_line(tmp_path):
    root = _tree(tmp_path / "photos", {"cats": 10, "dogs": 1})
    with pytest.raises(
        ValueError,
        match=r"The class 'dogs' \(.*dogs'\) has 1 image\(s\); "
        r"validation_split=0.2 needs at least 2 per class",
    ):
        split_folder(root, validation_split=0.2)  # fmt: skip
    with pytest.raises(ValueError, match=r"`validation_split`.*Received: validation_split=1"):
        split_folder(root, validation_split=1)


def test_a_recorded_split_is_reread_checked_and_tied_to_its_folder(tmp_path):
    root = _tree(tmp_path / "photos", {"cats": 6, "dogs": 6})
    run = tmp_path / "run"
    run.mkdir()
    split = split_folder(root, validation_split=0.25, seed=3)
    record_split(split, str(run))
    again = recorded_split(str(run))
    assert again == split
    same_split(again, root, 0.25, 3)  # the same folder and settings: resumed
    with pytest.raises(
        ValueError,
        match=r"made from .* with validation_split=0.25, seed=3; "
        r"this run asks for .* seed=4",
    ):
        same_split(again, root, 0.25, 4)  # fmt: skip
    os.remove(os.path.join(root, split.validation[0][0]))
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\) of the run's recorded split"):
        same_split(again, root, 0.25, 3)
    (run / SPLIT_FILE).write_text(json.dumps({"root": root}))
    with pytest.raises(ValueError, match=r"split\.json' is damaged: it is not a recorded split"):
        recorded_split(str(run))


def test_folder_images_feed_fit_in_a_seeded_order_per_epoch(tmp_path):
    import keras
    import numpy as np

    from keras_resnet.data.folder_dataset import FolderImages

    root = _tree(tmp_path / "photos", {"cats": 5, "dogs": 4})
    files, labels = split_folder(root, validation_split=0).files("training")
    batches = FolderImages(files, labels, image_size=8, batch_size=4, shuffle=True, seed=1)
    first = batches.order()
    assert sorted(first) == list(range(9)) and len(batches) == 3
    batches.on_epoch_begin()  # the first epoch begins: its order
    assert list(batches.order()) == list(first)
    batches.on_epoch_begin()
    assert list(batches.order()) != list(first)  # another order each epoch...
    resumed = FolderImages(files, labels, image_size=8, batch_size=4, shuffle=True, seed=1,
                           epoch=1)  # fmt: skip
    assert list(resumed.order()) == list(batches.order())  # ...a function of (seed, epoch)
    (x, positions), y = resumed[2]
    assert x.shape == (1, 8, 8, 3) and x.dtype == np.uint8 and y.dtype == np.int32
    assert positions.tolist() == [17]  # epoch 1 of 9 files, the 9th image: place 9 + 8
    from keras_resnet.recipes.transfer import AugmentFolderBatches

    network = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                                keras.layers.Dense(2, activation="softmax")])  # fmt: skip
    model = AugmentFolderBatches(network, seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    threaded = FolderImages(files, labels, image_size=8, batch_size=4, shuffle=True, workers=2)
    history = model.fit(threaded, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and threaded.epoch == 1  # epochs 0 and 1 read


def test_the_fit_feed_reads_each_epoch_as_the_batches_do_from_a_resumed_epoch(tmp_path):
    import itertools

    import numpy as np

    from keras_resnet.data.folder_dataset import FolderImages, fit_feed

    root = _tree(tmp_path / "photos", {"cats": 5, "dogs": 4})
    files, labels = split_folder(root, validation_split=0).files("training")
    batches = FolderImages(files, labels, image_size=8, batch_size=4, shuffle=True, seed=1,
                           workers=2)  # fmt: skip
    fed = list(itertools.islice(fit_feed(batches, first_epoch=1), 6))  # epochs 1 and 2
    expected = [batches.read(epoch, index) for epoch in (1, 2) for index in range(3)]
    for ((x, positions), y), ((want_x, want_positions), want_y) in zip(fed, expected, strict=True):
        assert np.array_equal(x, want_x) and np.array_equal(y, want_y)
        assert np.asarray(positions).tolist() == want_positions.tolist()
    assert [np.asarray(p).tolist()[0] for (_, p), _ in fed] == [9, 13, 17, 18, 22, 26]
    once = [np.asarray(y).tolist() for _, y in fit_feed(batches, repeat=False)]
    assert once == [batches.read(0, i)[1].tolist() for i in range(3)]


def test_a_split_feeds_training_and_held_out_batches_skipping_bad_files(tmp_path):
    from keras_resnet.data.folder_dataset import split_images

    root = _tree(tmp_path / "photos", {"cats": 7, "dogs": 6})
    broken = os.path.join(root, "cats", "000.png")
    with open(broken, "wb") as handle:
        handle.write(b"not an image")
    with pytest.warns(UserWarning, match=r"split_folder: skipped 1 of 13 files .*not a readable"):
        split = split_folder(root, validation_split=0.5, seed=0)
    assert split.counts() == {"cats": (3, 3), "dogs": (3, 3)}  # split among the readable ones
    train, held_out = split_images(split, image_size=8, batch_size=4)
    assert len(train.files) == 6 and broken not in train.files and train.shuffle
    assert held_out.files == split.files("validation")[0] and not held_out.shuffle
    with pytest.warns(UserWarning, match="skipped 1 of 13"):
        assert split_images(split_folder(root, validation_split=0), image_size=8)[1] is None


def test_random_resized_crops_are_seeded_by_place_and_cover_the_asked_area():
    import numpy as np

    from keras_resnet.data.on_device import random_resized_crop_flip

    width = 32
    ramp = np.broadcast_to(np.arange(width, dtype="float32") / width, (6, width, width))
    x = np.stack([ramp, ramp, ramp], axis=-1)  # each pixel's value: its column
    one = np.asarray(random_resized_crop_flip(x, 3, np.arange(6)))
    assert np.array_equal(one, np.asarray(random_resized_crop_flip(x, 3, np.arange(6))))
    assert not np.array_equal(one, np.asarray(random_resized_crop_flip(x, 3, np.arange(6) + 6)))
    half = np.asarray(random_resized_crop_flip(x, 0, np.arange(6), scale=(0.25, 0.25),
                                               ratio=(1, 1)))  # fmt: skip
    spans = half[:, 0, :, 0].max(axis=1) - half[:, 0, :, 0].min(axis=1)
    assert np.allclose(spans, 0.5 * (width - 1) / width, atol=0.02)  # half the width, resized
    columns = half[:, 0, :, 0]
    rising = columns[:, -1] > columns[:, 0]
    assert 0 < rising.sum() < 6  # some flipped, some not
