"""Make tests/fixtures/torchvision_logits.safetensors: torchvision's logits on random weights.

Run with an environment that has torch and torchvision (not TensorFlow: the two segfault in
one process here), from the repository root:

    python -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.14.1 torchvision==0.29.1 \
        safetensors numpy
    /tmp/ref/bin/python tests/scripts/make_reference_logits.py

For each depth it records torchvision's tensor names and shapes and the logits of
``random_state`` weights on ``random_images``; the conversion test rebuilds the same arrays
with numpy and compares keras_resnet's logits.
"""

import json
import os
import sys

if __name__ == "__main__":
    import numpy as np
    import torch
    import torchvision
    from safetensors.numpy import save_file

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from reference_weights import DEPTHS, random_images, random_state

    tensors, metadata = {}, {"torch": torch.__version__, "torchvision": torchvision.__version__}
    for depth in DEPTHS:
        model = getattr(torchvision.models, f"resnet{depth}")(weights=None).eval()
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        state = random_state(shapes, seed=depth)
        missing, unexpected = model.load_state_dict(
            {k: torch.from_numpy(v) for k, v in state.items()}, strict=False
        )
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing)
        images = torch.from_numpy(random_images(seed=depth).transpose(0, 3, 1, 2).copy())
        with torch.no_grad():
            logits = model(images).numpy()
        tensors[f"logits_{depth}"] = np.ascontiguousarray(logits, dtype=np.float32)
        metadata[f"shapes_{depth}"] = json.dumps(shapes, sort_keys=True)
        print(
            f"resnet{depth}: {len(shapes)} tensors, logits {logits.shape}, "
            f"top-1 {logits.argmax(1).tolist()}, max |logit| {abs(logits).max():.3f}"
        )
    target = os.path.join(
        os.path.dirname(__file__), "..", "fixtures", "torchvision_logits.safetensors"
    )
    save_file(tensors, target, metadata=metadata)
    print("wrote", os.path.normpath(target), os.path.getsize(target), "bytes")
