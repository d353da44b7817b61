"""The errors keras_resnet raises, worded as keras.applications words them: an unknown name
(every registry lookup), a file that cannot be parsed, a feature that needs TensorFlow."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator, Sequence

#: The most allowed names an error lists in full; a longer list is left to its listing command.
LISTED_NAMES = 12


def unknown_name(
    what: str,
    argument: str,
    value,
    allowed: Sequence[str],
    *,
    extra: str = "",
    candidates=(),
    listing: str = "",
) -> ValueError:
    """A ValueError naming the argument, the value, the closest matches first and what is
    allowed (a list over ``LISTED_NAMES`` long is counted, not printed).

    ``candidates`` adds names searched for close matches but not listed as allowed;
    ``listing`` says where a long list is printed (the console script puts both in its own
    words: ``cli.checks.in_cli_words``).

    Example:
        >>> error = unknown_name("model name", "name", "resnet51", ["resnet50", "resnet18"])
        >>> print(error)
        Unknown model name 'resnet51'. Did you mean 'resnet50', 'resnet18'? The `name` \
argument should be one of ['resnet50', 'resnet18']. Received: name='resnet51'
    """
    close = difflib.get_close_matches(str(value), list(dict.fromkeys([*allowed, *candidates])), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    allowed = list(allowed)
    where = f" of {listing}" if listing else ""
    shown = allowed if len(allowed) <= LISTED_NAMES else f"the {len(allowed)} names{where}"
    return ValueError(
        f"Unknown {what} {value!r}.{hint} The `{argument}` argument should be one of "
        f"{shown}{extra}. Received: {argument}={value!r}"
    )


def needs_tensorflow(what: str) -> ImportError:
    """The one-line error for a feature that needs the ``[tensorflow]`` extra.

    Example:
        >>> str(needs_tensorflow("Exporting a SavedModel"))
        "Exporting a SavedModel needs TensorFlow: pip install 'keras-resnet-zoo[tensorflow]'."
    """
    return ImportError(f"{what} needs TensorFlow: pip install 'keras-resnet-zoo[tensorflow]'.")


@contextlib.contextmanager
def reading(path: str, kind: str) -> Iterator[None]:
    """Any error while a file is parsed becomes one ValueError naming the file and the kind
    of file it should be (the parser's own words kept): a truncated safetensors, a ``.keras``
    that is not a zip, an ``.h5`` with missing groups. A missing file stays FileNotFoundError.

    Example:
        >>> with reading("w.safetensors", "a safetensors checkpoint"):
        ...     raise KeyError("header")
        Traceback (most recent call last):
        ...
        ValueError: The file 'w.safetensors' cannot be read as a safetensors checkpoint \
(KeyError: 'header').
    """
    try:
        yield
    except FileNotFoundError:
        raise
    except Exception as error:
        raise ValueError(
            f"The file {path!r} cannot be read as {kind} ({type(error).__name__}: {error})."
        ) from error


def run_script(main, argv=None) -> int:
    """Run a script's ``main(argv)`` as the ``keras-resnet`` command runs its commands: a
    refusal (ValueError, OSError, ImportError: a bad argument, offline weights, a missing
    dataset) ends in one line on stderr and exit code 2, Ctrl-C in one line and 130.

    Example:
        >>> def main(argv=None):
        ...     raise ValueError("The `size` argument should be above 0. Received: size=0")
        >>> run_script(main, [])  # doctest: +SKIP
        2
    """
    import os
    import sys

    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "script"
    try:
        return main(argv) or 0
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 2
