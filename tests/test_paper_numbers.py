"""The exact parameter counts and multiply-adds of docs/paper_numbers.md."""

import pytest
from helpers import trainable_params
from paper_numbers import PARAMS

import keras_resnet


@pytest.mark.parametrize(("name", "options", "expected"), PARAMS)
def test_trainable_parameters_match_the_reference(build, name, options, expected):
    assert trainable_params(build(name, **options)) == expected


def test_plain_nets_have_the_parameters_of_option_a(build):
    for depth in (20, 32, 44, 56, 110):
        assert trainable_params(build(f"plain{depth}")) == trainable_params(build(f"resnet{depth}"))


def test_keras_count_params_includes_bn_moving_statistics(build):
    assert build("resnet20").count_params() == 271_098


@pytest.mark.slow
def test_resnet1202_has_19_4_million_parameters():
    model = keras_resnet.ResNet1202()
    assert trainable_params(model) == 19_421_274
    assert len([layer for layer in model.layers if layer.name.endswith("_add")]) == 600


# docs/paper_numbers.md: recounted multiply-adds at 224x224 (conv + fc).
FLOPS = [
    ("resnet18", "v1", 1.814e9),
    ("resnet34", "v1", 3.664e9),
    ("resnet50", "v1", 3.858e9),
    ("resnet101", "v1", 7.570e9),
    ("resnet152", "v1", 11.282e9),
    ("resnet50", "v1.5", 4.089e9),
    ("resnet101", "v1.5", 7.801e9),
    ("resnet152", "v1.5", 11.514e9),
    ("resnet18", "v1.5", 1.814e9),
]


@pytest.mark.parametrize(("name", "variant", "expected"), FLOPS)
def test_count_flops_matches_the_recount(build, name, variant, expected):
    flops = keras_resnet.count_flops(build(name, variant=variant))
    assert abs(flops - expected) / expected < 0.01


def test_count_flops_of_cifar_resnet20_is_40_55_million(build):
    assert keras_resnet.count_flops(build("resnet20")) == 40_551_040


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_v1_flops_are_within_3_percent_of_the_papers_table_1(build, depth):
    spec = keras_resnet.get_spec(f"resnet{depth}")
    flops = keras_resnet.count_flops(build(spec.name, variant="v1"))
    assert abs(flops - spec.paper_flops) / spec.paper_flops < 0.03


def test_count_flops_rejects_unknown_spatial_size():
    model = keras_resnet.ResNet18(weights=None, include_top=False)
    with pytest.raises(ValueError, match="static spatial"):
        keras_resnet.count_flops(model)
