"""Write keras_resnet/imagenet_class_index.json from tensorflow-datasets' own files.

    python weights/make_class_index.py

ImageNet's 1000 WordNet ids come from TFDS' imagenet2012 ``labels.txt`` (the training label
order every checkpoint uses) and their names from TFDS' list of the same 1000 classes; the
short name is the first synonym with spaces as underscores, as keras.applications' index
(``281 -> ["n02123045", "tabby"]``).
"""

import json
import os

if __name__ == "__main__":
    import tensorflow_datasets
    from tensorflow_datasets.datasets.siscore.labels import IMAGENET_LABELS_LIST

    root = os.path.dirname(tensorflow_datasets.__file__)
    with open(os.path.join(root, "datasets", "imagenet2012", "labels.txt")) as handle:
        wnids = handle.read().split()
    assert len(wnids) == len(IMAGENET_LABELS_LIST) == 1000
    index = {
        str(i): [wnid, names.split(",")[0].strip().replace(" ", "_")]
        for i, (wnid, names) in enumerate(zip(wnids, IMAGENET_LABELS_LIST, strict=True))
    }
    target = os.path.join(
        os.path.dirname(__file__), "..", "keras_resnet", "imagenet_class_index.json"
    )
    with open(target, "w") as handle:
        json.dump(index, handle, separators=(",", ":"))
    print("wrote", os.path.normpath(target), index["281"], index["0"])
