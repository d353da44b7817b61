"""PEP 562 for the package's ``__init__`` modules: a public name or a submodule, imported
when first used, so importing a package costs nothing it does not need (a leaf).

Example:
    >>> attribute("keras_resnet.zoo", "list_weights", {"list_weights": "registry"}).__name__
    'list_weights'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence


def attribute(package: str, name: str, where: Mapping[str, str]):
    """``name`` of ``package``: from the module ``where[name]`` (relative to the package, or
    a full ``keras_resnet.`` name), else the submodule ``package.name``; AttributeError if
    neither exists.

    Example:
        >>> attribute("keras_resnet.models", "specs", {}).__name__
        'keras_resnet.models.specs'
    """
    if name in where:
        module = (
            where[name] if where[name].startswith("keras_resnet") else f"{package}.{where[name]}"
        )
        return getattr(importlib.import_module(module), name)
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{package}.{name}":
            raise
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


def accessors(
    package: str, where: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable, Callable]:
    """A package's module-level ``__getattr__`` (``attribute`` with ``where``) and ``__dir__``
    (its globals and ``public``).

    Example:
        >>> getattr_, dir_ = accessors("keras_resnet.zoo", {}, ["list_weights"])
        >>> "list_weights" in dir_()
        True
    """

    def get(name: str):
        return attribute(package, name, where)

    def names() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return get, names
