"""Make tests/fixtures/fashion_mnist_resnet20.keras: a ResNet-20 trained on Fashion-MNIST.

The deployment tests quantize it to int8 and compare it with its float32 self, which only
means something for a trained network (random weights give near-tied logits). It is saved
without its optimizer (about 1.3 MB) and carries the checkpoint a recipe-trained model carries
(dataset and class names), set here too for runs made before models carried one.

    python tests/scripts/make_trained_resnet20.py RUN_DIR

RUN_DIR holds a run of the fashion_mnist_resnet20 recipe (its last.keras). Where it holds
none, one is trained there first, as `keras-resnet train --recipe fashion_mnist_resnet20
--epochs 10 --steps-per-epoch 468 --compress-schedule --seed 0` (about 1.3 hours on 2 cores).
The committed file is the depth study's resnet20 run (results/fashion_mnist_depth, the same
settings): 7.90% test error.
"""

import os
import sys

if __name__ == "__main__":
    import keras

    from keras_resnet import data, models, recipes
    from keras_resnet.recipes.registry import get as get_recipe
    from keras_resnet.recipes.training import trained_checkpoint

    run = sys.argv[1]
    if not os.path.exists(os.path.join(run, "last.keras")):
        recipes.train("fashion_mnist_resnet20", output_dir=run, epochs=10, steps_per_epoch=468,
                      compress_schedule=True, seed=0)  # fmt: skip
    trained = keras.saving.load_model(os.path.join(run, "last.keras"), compile=False)
    # A fresh ResNetModel (runs made before models carried a checkpoint saved a Functional).
    model = models.get_model("resnet20", input_shape=trained.input_shape[1:], classes=10)
    model.set_weights(trained.get_weights())
    recipe = get_recipe("fashion_mnist_resnet20")
    model.checkpoint = trained_checkpoint(recipe, data.info("fashion_mnist"), model.input_shape[1:])
    fixture = os.path.join(
        os.path.dirname(__file__), "..", "fixtures", "fashion_mnist_resnet20.keras"
    )
    keras.saving.save_model(model, fixture)
    print(f"wrote {os.path.normpath(fixture)} ({os.path.getsize(fixture)} bytes)")
