"""Load zoo weights in a fresh process (the Hub client reads HF_* variables at import).

    python tests/scripts/zoo_client.py CASES_JSON OUT_DIR

``CASES_JSON`` is a list of ``{"model": "resnet34", "weights": "imagenet", "kwargs": {...}}``.
For each case it prints one JSON line: ``{"ok": true, "top1": [...], "checkpoint": {...},
"resolves": N}`` (the checkpoint the model carries, and how often the registry resolved a
name; it saves the logits of ``random_images`` as ``OUT_DIR/<i>.npy``) or ``{"ok": false,
"type": ..., "message": ...}``; warnings are reported under ``"warnings"``. A case with
``"save": true`` also saves the model as ``.keras``, loads it back and reports the loaded
model's checkpoint (``"reloaded"``) and the largest difference of its logits.
"""

import json
import os
import sys
import warnings

if __name__ == "__main__":
    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import keras
    from reference_weights import random_images

    import keras_resnet
    from keras_resnet.zoo import registry

    resolves = []
    resolve = registry.resolve
    registry.resolve = lambda *args, **kwargs: resolves.append(args) or resolve(*args, **kwargs)

    cases, out_dir = json.loads(sys.argv[1]), sys.argv[2]
    for index, case in enumerate(cases):
        resolves.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = keras_resnet.get_model(
                    case["model"], weights=case["weights"], **case.get("kwargs", {})
                )
            except Exception as error:  # reported to the test, which checks type and text
                result = {"ok": False, "type": type(error).__name__, "message": str(error)}
            else:
                size = model.input_shape[1]
                logits = model.predict_on_batch(
                    random_images(seed=case.get("seed", 0))[:, :size, :size]
                )
                np.save(os.path.join(out_dir, f"{index}.npy"), logits)
                carried = model.checkpoint.to_dict() if model.checkpoint else None
                result = {"ok": True, "top1": logits.argmax(1).tolist(), "checkpoint": carried,
                          "resolves": len(resolves)}  # fmt: skip
                if case.get("save"):
                    path = os.path.join(out_dir, f"{index}.keras")
                    model.save(path)
                    loaded = keras.saving.load_model(path)
                    result["reloaded"] = loaded.checkpoint.to_dict()
                    result["reload_difference"] = float(
                        np.max(np.abs(loaded.predict_on_batch(
                            random_images(seed=case.get("seed", 0))[:, :size, :size]
                        ) - logits))
                    )  # fmt: skip
        result["warnings"] = [
            str(w.message)
            for w in caught
            if "keras_resnet" in str(w.filename) or "sha256" in str(w.message)
        ]
        print("RESULT " + json.dumps(result), flush=True)
