"""``keras-resnet weights list | info NAME | download NAME | convert SRC DST``.

Example:
    $ keras-resnet weights list --arch resnet50
    $ keras-resnet weights download resnet50.tv_in1k
    $ keras-resnet weights convert resnet50.safetensors resnet50.weights.h5
"""

from __future__ import annotations

import json

from keras_resnet.cli.output import add_json_option, emit_json, printable


def add_parser(commands) -> None:
    """Add the ``weights`` subcommand and its own subcommands to ``commands``.

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="keras-resnet")
        >>> add_parser(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["weights", "info", "resnet50.tv_in1k"]).action
        'info'
    """
    weights = commands.add_parser(
        "weights",
        help="the pretrained-weight zoo: list, inspect, download, convert",
        description="The pretrained-weight zoo on the Hugging Face Hub.",
    )
    actions = weights.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list checkpoints with their top-1 and license")
    listing.add_argument("--arch", help="only checkpoints for this model (e.g. resnet50)")
    add_json_option(listing)
    info = actions.add_parser("info", help="everything the registry knows about a checkpoint")
    info.add_argument("name", help="a checkpoint name, e.g. resnet50.tv_in1k")
    download = actions.add_parser(
        "download",
        help="download, verify and convert a checkpoint into the cache ($KERAS_HOME)",
        description="Download a checkpoint (verified by sha256), convert it and cache it, so "
        "later loads need no network. Prints the cached file.",
    )
    download.add_argument("name", help="a checkpoint name (resnet50.tv_in1k) or hf://owner/repo")
    convert = actions.add_parser(
        "convert",
        help="convert a checkpoint file to keras_resnet's formats",
        description="SRC: .safetensors in torchvision/timm or keras_resnet layout, or a legacy "
        "keras.applications .h5. DST: a .safetensors file (keras_resnet layout), a "
        ".weights.h5 or .keras file (a built model), or a folder (weights + config.json + "
        "model card, ready for weights/publish.py).",
    )
    convert.add_argument("src", metavar="SRC", help="the checkpoint to convert")
    convert.add_argument("dst", metavar="DST", help="where to write it (see above)")
    convert.add_argument(
        "--variant",
        choices=("v1.5", "v1"),
        help="bottleneck variant of the checkpoint (default: v1 for a keras.applications .h5, "
        "v1.5 otherwise)",
    )


def run(args) -> int:
    """Run ``keras-resnet weights ACTION``; returns the exit code.

    Example:
        >>> from keras_resnet.cli.parser import build_parser
        >>> run(build_parser().parse_args(["weights", "list", "--arch", "resnet18"]))
        ... # doctest: +ELLIPSIS
        name ...
        0
    """
    return {"list": _list, "info": _info, "download": _download, "convert": _convert}[args.action](
        args
    )


def _list(args) -> int:
    from keras_resnet.errors import unknown_name
    from keras_resnet.zoo import registry

    arch = args.arch.lower() if args.arch else None
    archs = sorted({registry.get(name).arch for name in registry.list_weights()})
    if arch is not None and arch not in archs:
        raise unknown_name("architecture with pretrained weights", "arch", args.arch, archs)
    infos = [registry.weights_info(name) for name in registry.list_weights(arch)]
    if emit_json(args.json, infos) and args.json == "-":
        return 0
    print(f"{'name':<20} {'top-1':>6}  {'license':<13} {'pinned':<8} repo")
    for info in infos:
        name = info["name"]
        top1 = info["metrics"].get("top1")
        pinned = "yes" if info["sha256"] and info["revision"] else "no"
        top1_text = f"{top1:.2f}" if top1 is not None else "-"
        print(
            f"{name:<20} {top1_text:>6}  {info['license'] or '-':<13} {pinned:<8} {info['repo_id']}"
        )
    return 0


def _info(args) -> int:
    from keras_resnet.zoo import registry

    print(json.dumps(registry.weights_info(args.name), indent=2))
    return 0


def _download(args) -> int:
    from keras_resnet.zoo import cache, hub, registry

    if args.name.startswith("hf://"):
        checkpoint = hub.checkpoint_from_hf(args.name)
    else:
        checkpoint = registry.get(args.name)
    cache.load_converted(checkpoint)
    where = cache.verified_conversion(checkpoint) or "not cached (the folder is not writable)"
    print(f"{printable(checkpoint.name)}: {printable(where)}")
    return 0


def _convert(args) -> int:
    from keras_resnet.models.checkpoints import convert_checkpoint

    arch = convert_checkpoint(args.src, args.dst, variant=args.variant)
    print(f"{printable(args.src)} ({arch}) -> {printable(args.dst)}")
    return 0
