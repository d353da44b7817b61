"""The paper's architectures as data.

ImageNet nets follow Table 1 of He et al. (2015), "Deep Residual Learning for Image
Recognition"; CIFAR nets follow section 4.2. Everything that varies between depths lives
here, so a reader can hold this file next to Table 1:

    layer name | 18-layer    | 34-layer    | 50-layer          | 101-layer          | 152-layer
    conv1      | 7x7, 64, stride 2, then 3x3 max pool, stride 2
    conv2_x    | [3x3, 64]x2 | [3x3, 64]x3 | [1x1,64 3x3,64 1x1,256]x3  | x3       | x3
    conv3_x    | ...x2       | x4          | [1x1,128 3x3,128 1x1,512]x4 | x4      | x8
    conv4_x    | ...x2       | x6          | [1x1,256 3x3,256 1x1,1024]x6 | x23    | x36
    conv5_x    | ...x2       | x3          | [1x1,512 3x3,512 1x1,2048]x3 | x3     | x3
               | average pool, 1000-d fc, softmax
    FLOPs      | 1.8e9       | 3.6e9       | 3.8e9             | 7.6e9              | 11.3e9
"""

from __future__ import annotations

import dataclasses
import re

from keras_resnet.errors import unknown_name

BASIC = "basic"
BOTTLENECK = "bottleneck"

#: Output channels of a bottleneck block relative to its inner width (Table 1: 64 -> 256).
BOTTLENECK_EXPANSION = 4

IMAGENET_WIDTHS = (64, 128, 256, 512)
CIFAR_WIDTHS = (16, 32, 64)


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """One network of the paper.

    Attributes:
        name: Lower-case model name, e.g. ``"resnet50"`` or ``"plain20"``.
        family: ``"imagenet"`` (Table 1 stem and head) or ``"cifar"`` (section 4.2).
        depth: Number of weighted layers the paper counts (convs plus the fc).
        block: ``"basic"`` (two 3x3 convs) or ``"bottleneck"`` (1x1, 3x3, 1x1).
        blocks_per_stage: Blocks in each stage, conv2 first.
        widths: Inner width of each stage.
        residual: False for the paper's plain nets (the same stacks without shortcuts).
        paper_flops: Multiply-adds the paper reports (Table 1), or None where it gives none.

    Example:
        >>> imagenet_spec(101).out_channels
        (256, 512, 1024, 2048)
    """

    name: str
    family: str
    depth: int
    block: str
    blocks_per_stage: tuple[int, ...]
    widths: tuple[int, ...]
    residual: bool = True
    paper_flops: float | None = None

    @property
    def out_channels(self) -> tuple[int, ...]:
        """Channels leaving each stage (bottleneck stages expand by 4)."""
        factor = BOTTLENECK_EXPANSION if self.block == BOTTLENECK else 1
        return tuple(w * factor for w in self.widths)


# Table 1: depth -> (block kind, blocks per stage conv2..conv5, paper FLOPs).
IMAGENET_TABLE = {
    18: (BASIC, (2, 2, 2, 2), 1.8e9),
    34: (BASIC, (3, 4, 6, 3), 3.6e9),
    50: (BOTTLENECK, (3, 4, 6, 3), 3.8e9),
    101: (BOTTLENECK, (3, 4, 23, 3), 7.6e9),
    152: (BOTTLENECK, (3, 8, 36, 3), 11.3e9),
}

# Table 2 / Fig. 3: the plain nets the paper compares against.
IMAGENET_PLAIN_DEPTHS = (18, 34)

# Section 4.2 / Table 6: depth = 6n + 2, n basic blocks per stage on 32/16/8 maps.
CIFAR_RESNET_DEPTHS = (20, 32, 44, 56, 110, 1202)
CIFAR_PLAIN_DEPTHS = (20, 32, 44, 56, 110)


def is_cifar_depth(depth) -> bool:
    """Whether ``depth`` is a CIFAR depth of section 4.2: ``6n + 2`` for an integer n >= 1.

    Example:
        >>> is_cifar_depth(20), is_cifar_depth(21), is_cifar_depth(True)
        (True, False, False)
    """
    return (
        isinstance(depth, int)
        and not isinstance(depth, bool)
        and depth >= 8
        and (depth - 2) % 6 == 0
    )


def cifar_blocks_per_stage(depth: int) -> int:
    """Return ``n`` for a CIFAR net of depth ``6n + 2``.

    Example:
        >>> cifar_blocks_per_stage(110)
        18
    """
    if not is_cifar_depth(depth):
        raise ValueError(
            "The `depth` argument of a CIFAR ResNet must be 6n+2 for an integer n >= 1 "
            f"(20, 32, 44, 56, 110, 1202, ...). Received: depth={depth!r}"
        )
    return (depth - 2) // 6


def imagenet_spec(depth: int, *, residual: bool = True) -> NetSpec:
    """Return the Table 1 spec of an ImageNet net.

    Example:
        >>> imagenet_spec(50).blocks_per_stage
        (3, 4, 6, 3)
    """
    if depth not in IMAGENET_TABLE:
        raise ValueError(
            f"The `depth` argument of an ImageNet ResNet must be one of "
            f"{sorted(IMAGENET_TABLE)}. Received: depth={depth!r}"
        )
    block, blocks, flops = IMAGENET_TABLE[depth]
    return NetSpec(
        name=f"{'resnet' if residual else 'plain'}{depth}",
        family="imagenet",
        depth=depth,
        block=block,
        blocks_per_stage=blocks,
        widths=IMAGENET_WIDTHS,
        residual=residual,
        paper_flops=flops,
    )


def cifar_spec(depth: int, *, residual: bool = True) -> NetSpec:
    """Return the section 4.2 spec of a CIFAR net (any depth 6n+2).

    Example:
        >>> cifar_spec(20).blocks_per_stage
        (3, 3, 3)
    """
    n = cifar_blocks_per_stage(depth)
    return NetSpec(
        name=f"{'resnet' if residual else 'plain'}{depth}",
        family="cifar",
        depth=depth,
        block=BASIC,
        blocks_per_stage=(n, n, n),
        widths=CIFAR_WIDTHS,
        residual=residual,
    )


def all_specs() -> dict[str, NetSpec]:
    """Every network that has a named constructor, keyed by its lower-case name.

    Example:
        >>> "resnet1202" in all_specs()
        True
    """
    specs = [imagenet_spec(d) for d in IMAGENET_TABLE]
    specs += [imagenet_spec(d, residual=False) for d in IMAGENET_PLAIN_DEPTHS]
    specs += [cifar_spec(d) for d in CIFAR_RESNET_DEPTHS]
    specs += [cifar_spec(d, residual=False) for d in CIFAR_PLAIN_DEPTHS]
    return {s.name: s for s in specs}


def residual_spec_for(block: str, blocks_per_stage: tuple[int, ...], stem_kernel: int) -> NetSpec:
    """The residual net whose stages a checkpoint's layer names describe.

    ``stem_kernel`` is 7 for ImageNet nets and 3 for CIFAR nets.

    Example:
        >>> residual_spec_for(BOTTLENECK, (3, 4, 23, 3), 7).name
        'resnet101'
    """
    family = "imagenet" if stem_kernel == 7 else "cifar"
    for spec in all_specs().values():
        if (spec.residual, spec.family, spec.block) == (True, family, block) and tuple(
            spec.blocks_per_stage
        ) == tuple(blocks_per_stage):
            return spec
    raise ValueError(
        f"No ResNet of the paper has {block} blocks {tuple(blocks_per_stage)} per stage with a "
        f"{stem_kernel}x{stem_kernel} stem."
    )


def list_models() -> list[str]:
    """Names accepted by ``get_model``: ImageNet nets first, then CIFAR nets, by depth.

    Example:
        >>> list_models()[:3]
        ['resnet18', 'resnet34', 'resnet50']
    """
    return list(all_specs())


# Any CIFAR depth 6n+2 ("resnet8", "plain26"): section 4.2 defines the family for every n.
_CIFAR_NAME = re.compile(r"(resnet|plain)(\d+)")


def get_spec(name: str, *, argument: str = "name") -> NetSpec:
    """The paper's description of the model called ``name``.

    ``name`` is one of ``list_models()`` or any CIFAR depth 6n+2 of section 4.2
    (``"resnet8"``, ``"plain26"``).

    Example:
        >>> get_spec("resnet110").blocks_per_stage
        (18, 18, 18)
        >>> get_spec("plain26").blocks_per_stage
        (4, 4, 4)
    """
    key = name.lower() if isinstance(name, str) else name
    specs = all_specs()
    if key in specs:
        return specs[key]
    match = _CIFAR_NAME.fullmatch(key) if isinstance(key, str) else None
    if match and int(match[2]) >= 8 and (int(match[2]) - 2) % 6 == 0:
        return cifar_spec(int(match[2]), residual=match[1] == "resnet")
    raise unknown_name(
        "model name",
        argument,
        name,
        list(specs),
        extra=" or a CIFAR depth 6n+2 such as 'resnet8' or 'plain26'",
        listing="keras_resnet.list_models()",
    )


def default_weights(name: str) -> str | None:
    """What ``weights`` the constructor of ``name`` uses when none is given: "imagenet" for
    the ImageNet ResNets (the zoo has their checkpoints), None for plain and CIFAR nets.

    Example:
        >>> default_weights("resnet50"), default_weights("resnet20"), default_weights("plain34")
        ('imagenet', None, None)
    """
    spec = get_spec(name)
    return "imagenet" if spec.family == "imagenet" and spec.residual else None


def default_shortcut(spec: NetSpec) -> str:
    """The shortcut option a net is built with by default: the paper's option A (zero
    padding) for the CIFAR ResNets, B (projections where the shape changes) for the ImageNet
    ones, ``"none"`` for plain nets.

    Example:
        >>> default_shortcut(cifar_spec(20)), default_shortcut(imagenet_spec(50))
        ('A', 'B')
    """
    if not spec.residual:
        return "none"
    return "A" if spec.family == "cifar" else "B"
