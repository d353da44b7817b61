"""The named recipes: the paper's CIFAR-10 and ImageNet setups, and a CPU-sized Fashion-MNIST
one."""

from __future__ import annotations

import dataclasses

from keras_resnet.errors import unknown_name
from keras_resnet.models.specs import cifar_blocks_per_stage, is_cifar_depth
from keras_resnet.recipes.recipe import Recipe

_RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry under ``recipe.name`` (replacing none).

    Example:
        >>> register(Recipe("my_fashion_run", "resnet20", "fashion_mnist", steps=100)).name
        'my_fashion_run'
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"The `recipe` argument should be a Recipe. Received: recipe={recipe!r}")
    if recipe.name in _RECIPES:
        raise ValueError(f"A recipe named {recipe.name!r} is already registered")
    _RECIPES[recipe.name] = recipe
    return recipe


def get(name) -> Recipe:
    """The recipe called ``name`` (a Recipe passes through).

    Example:
        >>> get("cifar10_resnet110").warmup_lr
        0.01
    """
    if isinstance(name, Recipe):
        return name
    if name not in _RECIPES:
        raise unknown_name("recipe", "recipe", name, list(_RECIPES),
                           listing="recipes.list_recipes()")  # fmt: skip
    return _RECIPES[name]


def list_recipes() -> list[str]:
    """Names of every registered recipe.

    Example:
        >>> "fashion_mnist_resnet20" in list_recipes()
        True
    """
    return list(_RECIPES)


# Section 4.2: batch 128, LR 0.1 divided by 10 at 32k and 48k, stop at 64k, wd 1e-4,
# momentum 0.9. ResNet-110 and 1202 warm up at 0.01 until training error < 80% (~400 its).
for _depth in (20, 32, 44, 56, 110, 1202):
    _deep = _depth >= 110
    register(
        Recipe(
            name=f"cifar10_resnet{_depth}",
            model=f"resnet{_depth}",
            dataset="cifar10",
            warmup_lr=0.01 if _deep else None,
            warmup_steps=400 if _deep else 0,
            warmup_until_error=0.8 if _deep else None,
            steps_per_epoch=400,  # 160 evaluations over 64k iterations (about 1 pass each)
            description="He et al. 2015, section 4.2 (CIFAR-10, option A shortcuts)",
        )
    )
for _depth in (20, 32, 44, 56, 110):
    register(
        Recipe(
            name=f"cifar10_plain{_depth}",
            model=f"plain{_depth}",
            dataset="cifar10",
            steps_per_epoch=400,
            description="He et al. 2015, section 4.2 (CIFAR-10 plain nets, Fig. 6 left)",
        )
    )

# Section 3.4: batch 256, LR 0.1 divided by 10 on a plateau, up to 60e4 iterations.
_IMAGENET_EPOCH = 1_281_167 // 256
for _arch in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "plain18", "plain34"):
    _paper = Recipe(
        name=f"imagenet_{_arch}",
        model=_arch,
        dataset="imagenet2012",
        batch_size=256,
        steps=600_000,
        lr_values=(0.1,),
        lr_boundaries=(),
        plateau=True,
        steps_per_epoch=5_000,  # 120 evaluations over 60e4 iterations
        model_options={} if _arch.startswith("plain") else {"variant": "v1"},
        description="He et al. 2015, section 3.4 (LR / 10 when validation error plateaus)",
    )
    register(_paper)
    register(
        dataclasses.replace(
            _paper,
            name=f"imagenet_{_arch}_fixed",
            steps=90 * _IMAGENET_EPOCH,
            lr_values=(0.1, 0.01, 0.001),
            lr_boundaries=(30 * _IMAGENET_EPOCH, 60 * _IMAGENET_EPOCH),
            plateau=False,
            steps_per_epoch=_IMAGENET_EPOCH,
            description="Section 3.4 with a fixed schedule: LR / 10 at epochs 30 and 60, 90 epochs",
        )
    )

# The CIFAR recipe compressed to 45 epochs (LR / 10 at 50% and 75%) for a CPU budget, on
# Fashion-MNIST (60k 28x28 images, padded to 32x32), the real data a CPU machine has offline.
# Plain and residual nets share it exactly (the depth study of Fig. 6 compares them).
_FASHION_EPOCH = 60_000 // 128
for _family in ("resnet", "plain"):
    for _depth in (20, 32, 44, 56):
        register(
            Recipe(
                name=f"fashion_mnist_{_family}{_depth}",
                model=f"{_family}{_depth}",
                dataset="fashion_mnist",
                steps=45 * _FASHION_EPOCH,
                lr_boundaries=(45 * _FASHION_EPOCH // 2, 45 * _FASHION_EPOCH * 3 // 4),
                steps_per_epoch=_FASHION_EPOCH,
                description="Section 4.2's recipe in 45 epochs on Fashion-MNIST",
            )
        )

FAMILIES = ("plain", "resnet")


def check_nets(families, depths) -> list[tuple[str, int]]:
    """The (family, depth) nets of a depth study, shallowest first (the cheapest evidence
    finishes first); refused: families other than ``FAMILIES``, depths other than 6n+2.

    Example:
        >>> check_nets(["resnet", "plain"], [56, 20])
        [('resnet', 20), ('plain', 20), ('resnet', 56), ('plain', 56)]
    """
    families = (families,) if isinstance(families, str) else tuple(families)
    depths = (depths,) if isinstance(depths, int) else tuple(depths)
    if not families or any(f not in FAMILIES for f in families):
        raise ValueError(
            f"The `families` argument should name some of {FAMILIES}. "
            f"Received: families={families!r}"
        )
    if not depths or not all(is_cifar_depth(d) for d in depths):
        raise ValueError(
            "The `depths` argument should hold CIFAR depths 6n+2 with n >= 1 (8, 14, 20, 26, "
            f"32, 44, 56, 110, ...). Received: depths={depths!r}"
        )
    return [(f, d) for d in sorted(set(depths)) for f in dict.fromkeys(families)]


def family_recipe(dataset: str, family: str, depth: int) -> Recipe:
    """The recipe of ``dataset`` for the ``family`` net of ``depth`` layers (6n+2).

    A registered one (``fashion_mnist_plain56``) where it exists; otherwise the family's
    20-layer recipe for that dataset with the model swapped, made on the fly
    (``fashion_mnist_resnet8``): the same data, schedule and optimiser, another depth.

    Example:
        >>> family_recipe("fashion_mnist", "plain", 8).model
        'plain8'
        >>> family_recipe("fashion_mnist", "resnet", 56).name
        'fashion_mnist_resnet56'
    """
    if family not in FAMILIES:
        raise unknown_name("family", "family", family, FAMILIES)
    bases = [name for name in _RECIPES if name.endswith(f"_{family}20")]
    base_name = f"{dataset}_{family}20"
    if base_name not in _RECIPES:
        raise unknown_name(
            "dataset for a depth study", "dataset", dataset,
            sorted(name[: -len(f"_{family}20")] for name in bases),
        )  # fmt: skip
    cifar_blocks_per_stage(depth)  # 6n+2, or a ValueError naming `depth`
    name = f"{dataset}_{family}{depth}"
    if name in _RECIPES:
        return _RECIPES[name]
    return dataclasses.replace(
        _RECIPES[base_name],
        name=name,
        model=f"{family}{depth}",
        description=_RECIPES[base_name].description + f" (made for depth {depth})",
    )
