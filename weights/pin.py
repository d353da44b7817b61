"""Fill the registry's missing pins (revision, sha256) from the Hub, for whoever has network.

    python weights/pin.py            # print what would change
    python weights/pin.py --write    # and write keras_resnet/zoo/registry.json

For every entry without a 40-hex revision or a sha256 it asks
``HfApi().model_info(repo_id, revision=<pin or main>, files_metadata=True)`` and takes the
commit (``sha``) and the LFS sha256 of the entry's file. It rewrites registry.json (atomically,
as the package writes every file), keeping every other field.
"""

import argparse
import json
import os
import re
import sys

REGISTRY = os.path.join(os.path.dirname(__file__), "..", "keras_resnet", "zoo", "registry.json")
HEX40 = re.compile(r"[0-9a-f]{40}")


def pins_for(entry: dict, model_info) -> tuple[str, str]:
    """(revision, sha256) of ``entry``'s file from a ``model_info(files_metadata=True)``."""
    for sibling in model_info.siblings or []:
        if sibling.rfilename == entry["filename"]:
            if sibling.lfs is None:
                raise ValueError(f"{entry['repo_id']}/{entry['filename']} is not an LFS file")
            return model_info.sha, sibling.lfs.sha256
    raise ValueError(f"{entry['repo_id']} has no {entry['filename']} at {model_info.sha}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write registry.json")
    parser.add_argument("--registry", default=REGISTRY, help="registry.json to update")
    args = parser.parse_args(argv)
    from huggingface_hub import HfApi

    with open(args.registry) as handle:
        document = json.load(handle)
    api, changed = HfApi(), 0
    for name, entry in sorted(document["weights"].items()):
        if entry.get("sha256") and HEX40.fullmatch(entry.get("revision") or ""):
            continue
        info = api.model_info(
            entry["repo_id"], revision=entry.get("revision") or "main", files_metadata=True
        )
        revision, sha256 = pins_for(entry, info)
        if entry.get("sha256") and entry["sha256"] != sha256:
            print(f"{name}: the Hub's sha256 {sha256} differs from the pin {entry['sha256']}!")
            return 1
        print(f"{name}: revision {revision}, sha256 {sha256}")
        entry.update(revision=revision, sha256=sha256)
        changed += 1
    if args.write and changed:
        from keras_resnet.io import write_json_atomic

        write_json_atomic(args.registry, document)
    print(f"{changed} entries {'pinned' if args.write else 'to pin (pass --write)'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    sys.exit(main())
