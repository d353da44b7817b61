"""The one error every registry lookup raises, worded as keras.applications words errors."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def unknown_name(
    what: str, argument: str, value, allowed: Sequence[str], *, extra: str = "", candidates=()
) -> ValueError:
    """A ValueError naming the argument, the value, what is allowed and the closest matches.

    ``candidates`` adds names searched for close matches but not listed as allowed.

    Example:
        >>> error = unknown_name("model name", "name", "resnet51", ["resnet50", "resnet18"])
        >>> str(error).startswith("Unknown model name. The `name` argument should be one of")
        True
        >>> str(error).endswith("Did you mean 'resnet50', 'resnet18'? Received: name='resnet51'")
        True
    """
    close = difflib.get_close_matches(str(value), list(dict.fromkeys([*allowed, *candidates])), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(
        f"Unknown {what}. The `{argument}` argument should be one of {list(allowed)}{extra}."
        f"{hint} Received: {argument}={value!r}"
    )
