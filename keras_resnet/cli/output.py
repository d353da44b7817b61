"""``--json [PATH]``, the machine-readable output every listing command offers.

Example:
    $ keras-resnet models --json
    $ keras-resnet evaluate best.keras --dataset fashion_mnist --json result.json
"""

from __future__ import annotations

import argparse
import json

from keras_resnet.io import write_text_atomic


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json [PATH]``: the result as JSON on stdout (instead of the table) or in PATH.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_json_option(parser)
        >>> parser.parse_args(["--json"]).json, parser.parse_args([]).json
        ('-', None)
    """
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="PATH",
        help="print the result as JSON instead (or write it to PATH)",
    )  # fmt: skip


def emit_json(destination: str | None, payload) -> bool:
    """Print ``payload`` as JSON (destination "-") or write it to a file; False when no
    ``--json`` was given.

    Example:
        >>> emit_json("-", {"accuracy": 0.9})
        {
          "accuracy": 0.9
        }
        True
    """
    if destination is None:
        return False
    text = json.dumps(payload, indent=2, default=list)
    if destination == "-":
        print(text)
    else:
        write_text_atomic(destination, text + "\n")
    return True


def printable(text: str) -> str:
    r"""``text`` with control characters (terminal escape sequences among them) written as
    Python escapes, so a class name or file name cannot drive the terminal.

    Example:
        >>> print(printable("boot\x1b[2J"))
        boot\x1b[2J
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
