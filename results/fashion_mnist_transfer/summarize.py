"""transfer.json from the runs run.sh wrote: test accuracy on the 5,000 test images of classes
5-9 for each run, and the means over seeds.

    python summarize.py RUNS > transfer.json
"""

from __future__ import annotations

import json
import os
import sys


def _read(path: str) -> dict:
    with open(path) as handle:
        return json.load(handle)


def main(runs: str) -> dict:
    pretrain = _read(os.path.join(runs, "pretrain5", "metrics.json"))
    rows, summary = [], {}
    for n in (20, 100):
        for kind in ("tuned", "scratch"):
            accuracies = []
            for seed in (0, 1):
                folder = os.path.join(runs, f"{kind}{n}_seed{seed}")
                test, metrics = (
                    _read(os.path.join(folder, "test.json")),
                    _read(os.path.join(folder, "metrics.json")),
                )
                accuracies.append(test["accuracy"])
                rows.append({"images_per_class": n, "kind": kind, "seed": seed,
                             "test_accuracy": test["accuracy"], "test_images": test["images"],
                             "per_class_accuracy": test["per_class_accuracy"],
                             "iterations": metrics["iterations"],
                             "training_seconds": metrics["training_seconds"]})  # fmt: skip
            key = "fine_tuned_accuracy" if kind == "tuned" else "scratch_accuracy"
            summary.setdefault(str(n), {})[key] = sum(accuracies) / len(accuracies)
    return {
        "pretrained_on": "fashion_mnist classes 0-4 (keras-resnet train, 1,200 iterations)",
        "pretrain_test_accuracy_on_its_5_classes": pretrain["test_accuracy"],
        "target": "fashion_mnist classes 5-9; test: their 5,000 test images",
        "fine_tuned_accuracy": {n: s["fine_tuned_accuracy"] for n, s in summary.items()},
        "scratch_accuracy": {n: s["scratch_accuracy"] for n, s in summary.items()},
        "runs": rows,
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1]), sys.stdout, indent=2)
    print()
