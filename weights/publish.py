"""Push a folder made by weights/convert.py to a Hugging Face Hub repo.

    python weights/publish.py out/resnet50.tv_in1k me/keras-resnet50 --dry-run
    HF_TOKEN=... python weights/publish.py out/resnet50.tv_in1k me/keras-resnet50

Checks the folder first (config.json present, its sha256 matches model.safetensors), then
calls ``huggingface_hub.HfApi().upload_folder``. ``--dry-run`` prints what would be uploaded
and the call, and touches no network. Afterwards pin the new commit with register_weights or
a registry entry (``weights/pin.py`` fills revision and sha256).
"""

import argparse
import os
import sys


def plan(folder: str) -> list[tuple[str, int, str]]:
    """The files that would be uploaded: (name, size, sha256); checks the folder first."""
    from keras_resnet.io import sha256_file
    from keras_resnet.zoo import hub_folder

    hub_folder.check_folder(folder)
    return [
        (
            name,
            os.path.getsize(os.path.join(folder, name)),
            sha256_file(os.path.join(folder, name)),
        )
        for name in sorted(os.listdir(folder))
        if os.path.isfile(os.path.join(folder, name))
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder made by weights/convert.py")
    parser.add_argument("repo_id", help="owner/name of the Hub model repo")
    parser.add_argument("--message", default="Upload keras_resnet weights", help="commit message")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, upload nothing")
    args = parser.parse_args(argv)
    from huggingface_hub.utils import validate_repo_id

    validate_repo_id(args.repo_id)  # a malformed id fails here, in a dry run too
    files = plan(args.folder)
    for name, size, sha256 in files:
        print(f"{name:<20} {size:>12,d} bytes  sha256 {sha256}")
    call = (
        f"HfApi().upload_folder(repo_id={args.repo_id!r}, folder_path={args.folder!r}, "
        f"repo_type='model', commit_message={args.message!r})"
    )
    if args.dry_run:
        print(f"dry run: would call create_repo(exist_ok=True) and {call}")
        return 0
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(args.repo_id, repo_type="model", private=args.private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=args.repo_id,
        folder_path=args.folder,
        repo_type="model",
        commit_message=args.message,
    )
    print(f"uploaded: {commit.commit_url} (revision {commit.oid})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    sys.exit(main())
