"""Convert an upstream checkpoint into the zoo's Keras format plus a model card.

    python weights/convert.py resnet50.tv_in1k out/resnet50.tv_in1k            # from the Hub
    python weights/convert.py resnet50.tv_in1k out/r50 --src model.safetensors  # a local copy
    python weights/convert.py - out/r50-v1 --src resnet50_weights_tf_dim_ordering_tf_kernels.h5

With a registry name the card carries that entry's preprocessing, metrics, license and
origin, and the source is checked against its pinned sha256 (downloaded and verified when
``--src`` is not given). ``-`` converts a file with no registry entry. The folder
(``model.safetensors``, ``config.json``, ``README.md``) is what ``weights/publish.py``
uploads and what ``weights="hf://owner/repo"`` loads. The weights are loaded into the
matching keras_resnet model before anything is written, to prove they fit.
"""

import argparse
import os
import sys


def main(argv=None) -> int:
    from keras_resnet.io import sha256_file
    from keras_resnet.models.checkpoints import convert_checkpoint
    from keras_resnet.zoo import hub, registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a registry name (resnet50.tv_in1k) or - for none")
    parser.add_argument("out_dir", help="folder to write")
    parser.add_argument("--src", help="a local copy of the source checkpoint")
    parser.add_argument("--variant", choices=("v1.5", "v1"), help="default: from the entry")
    args = parser.parse_args(argv)

    checkpoint = registry.get(args.name) if args.name != "-" else None
    if args.src:
        src = args.src
        if checkpoint and checkpoint.sha256 and sha256_file(src) != checkpoint.sha256:
            parser.error(f"--src is not the file {args.name} pins (sha256 {checkpoint.sha256})")
    elif checkpoint:
        src, _ = hub.download_verified(checkpoint)
    else:
        parser.error("give --src when converting a file with no registry entry")
    arch = convert_checkpoint(src, args.out_dir, checkpoint=checkpoint, variant=args.variant)
    print(f"{args.name if checkpoint else src} -> {args.out_dir} ({arch})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    sys.exit(main())
