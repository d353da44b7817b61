"""Run one small training in a fresh process and print its result as JSON (used by tests).

python tests/scripts/train_run.py DATA_DIR OUTPUT_DIR [--logical-cpus 2] [--strategy S]
    [--steps N] [--steps-per-epoch N] [--batch-size N] [--policy P]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("output_dir")
    parser.add_argument("--logical-cpus", type=int, default=1)
    parser.add_argument(
        "--strategy", default=None, choices=[None, "one", "mirrored", "multiworker"]
    )
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--steps-per-epoch", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--policy", default=None)
    args = parser.parse_args()

    if args.logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(args.logical_cpus)]
        )
    strategy = args.strategy
    if args.strategy == "one":
        strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    elif args.strategy == "mirrored":
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(args.logical_cpus)])

    import keras

    from keras_resnet import recipes

    keras.config.disable_traceback_filtering()

    result = recipes.train(
        "fashion_mnist_resnet20",
        output_dir=args.output_dir,
        steps=args.steps,
        steps_per_epoch=args.steps_per_epoch,
        strategy=strategy,
        mixed_precision=args.policy,
        data_dir=args.data_dir,
        seed=0,
        batch_size=args.batch_size,
        validation_steps=2,
        verbose=0,
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "loss": result.history.history["loss"],
                "replicas": result.metrics["replicas"],
                "test_accuracy": result.metrics["test_accuracy"],
                "output_dtype": str(result.model.output.dtype),
            }
        )
    )


if __name__ == "__main__":
    main()
