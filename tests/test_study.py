"""The depth study (Fig. 6 / Table 6): nets of any depth 6n+2, family recipes, outputs,
claims, resumption after kill -9, and refusals."""

import csv
import dataclasses
import json
import os
import subprocess
import sys

import keras
import pytest
from helpers import kill_after_epochs

import keras_resnet
from keras_resnet import cli, recipes
from keras_resnet.recipes.depth_study import RESULT_COLUMNS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _weighted_layers(model: keras.Model) -> int:
    weighted = keras.layers.Conv2D | keras.layers.Dense
    return sum(isinstance(layer, weighted) for layer in model.layers)


def test_get_model_builds_any_cifar_depth_6n_plus_2_and_refuses_others():
    plain26 = keras_resnet.get_model("plain26")
    assert _weighted_layers(plain26) == 26  # 25 convs + the fc, no shortcut convs
    assert keras_resnet.get_spec("resnet8").blocks_per_stage == (1, 1, 1)
    assert keras_resnet.get_model("resnet8", shortcut="B").name == "resnet8"
    for name in ("resnet9", "plain4", "resnet2"):
        with pytest.raises(ValueError, match=rf"`name`.*6n\+2.*Received: name='{name}'"):
            keras_resnet.get_model(name)


def test_fashion_mnist_family_recipes_differ_only_in_the_net():
    reference = dataclasses.asdict(recipes.get("fashion_mnist_resnet20"))
    for family in ("plain", "resnet"):
        for depth in (20, 32, 44, 56):
            recipe = recipes.get(f"fashion_mnist_{family}{depth}")
            assert recipe.model == f"{family}{depth}"
            fields = dataclasses.asdict(recipe)
            for key in ("name", "model"):
                fields.pop(key), reference.pop(key, None)
            assert fields == reference
    made = recipes.family_recipe("fashion_mnist", "plain", 8)
    assert made.model == "plain8" and made.lr_boundaries == reference["lr_boundaries"]
    with pytest.raises(ValueError, match=r"`family`.*Received: family='dense'"):
        recipes.family_recipe("fashion_mnist", "dense", 20)
    with pytest.raises(ValueError, match=r"`dataset`.*Received: dataset='mnist'"):
        recipes.family_recipe("mnist", "plain", 20)


def _row(family, depth, train, test):
    return {"family": family, "depth": depth, "final_train_error": train, "final_test_error": test}


def test_summary_states_each_claim_from_the_numbers():
    both = [
        _row("plain", 20, 0.06, 0.08), _row("plain", 56, 0.09, 0.10),
        _row("resnet", 20, 0.05, 0.075), _row("resnet", 56, 0.03, 0.07),
    ]  # fmt: skip
    claims = {c["id"]: c for c in recipes.summarize(both, ["plain", "resnet"], [20, 56])["claims"]}
    assert list(claims) == ["degradation", "shortcuts", "deeper_resnet", "residual_learning"]
    assert claims["degradation"]["status"] == "supported" and claims["degradation"]["supported"]
    assert "9.00% > plain20 6.00%" in claims["degradation"]["evidence"]
    assert "resnet56 final training error 3.00% < plain56 9.00%" in claims["shortcuts"]["evidence"]
    deeper = claims["deeper_resnet"]["evidence"]
    assert deeper == "resnet56 final test error 7.00% <= resnet20 7.50%"
    assert all(c["status"] == "supported" for c in claims.values())

    no_degradation = [dict(r) for r in both]
    no_degradation[1]["final_train_error"] = 0.04  # plain56 trains better than plain20
    no_degradation[3]["final_test_error"] = 0.09  # resnet56 tests worse than resnet20
    claims = recipes.summarize(no_degradation, ["plain", "resnet"], [20, 56])["claims"]
    statuses = ["not supported", "supported", "not supported", "not supported"]
    assert [c["status"] for c in claims] == statuses
    assert [c["supported"] for c in claims] == [False, True, False, False]
    assert "9.00% > resnet20 7.50%" in claims[3]["evidence"]

    missing = recipes.summarize(both[:3], ["plain", "resnet"], [20, 56])["claims"]
    assert missing[0]["status"] == "supported"
    assert all(c["status"] == "not enough data" and c["supported"] is None for c in missing[1:])
    assert all("resnet56" in c["evidence"] for c in missing[1:])
    single = recipes.summarize(both[:1], ["plain"], [20])["claims"]
    assert single[0]["status"] == "not enough data"


def test_the_deeper_resnet_is_judged_before_the_plain_nets_finish():
    resnets = [_row("resnet", 20, 0.02, 0.055), _row("resnet", 56, 0.01, 0.058)]
    claims = {c["id"]: c for c in recipes.summarize(resnets, ["resnet"], [20, 56])["claims"]}
    assert claims["deeper_resnet"]["status"] == "not supported"
    assert claims["shortcuts"]["evidence"] == "needs finished nets plain56"
    # one half already fails, so the claim that needs both is decided without plain56
    assert claims["residual_learning"]["status"] == "not supported"
    assert claims["residual_learning"]["evidence"] == claims["deeper_resnet"]["evidence"]

    resnets[1]["final_test_error"] = 0.05
    claims = {c["id"]: c for c in recipes.summarize(resnets, ["resnet"], [20, 56])["claims"]}
    assert claims["deeper_resnet"]["status"] == "supported"
    assert claims["residual_learning"]["status"] == "not enough data"
    assert claims["residual_learning"]["evidence"] == "needs finished nets plain56"


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, fashion_dir, capsys):
    out = str(tmp_path / "study")
    common = {"output_dir": out, "data_dir": fashion_dir, "steps": 2}
    bad = [
        ({"depths": [9]}, r"`depths`.*6n\+2.*Received: depths=\(9,\)"),
        ({"families": ["plain", "dense"]}, r"`families`.*'plain', 'resnet'.*dense"),
        ({"epochs": 0, "steps": None}, r"`epochs`.*positive integer.*Received: epochs=0"),
        ({"dataset": "mnist"}, r"`dataset`.*fashion_mnist.*Received: dataset='mnist'"),
        ({"steps": 3, "steps_per_epoch": 2}, r"`steps` \(3\).*`steps_per_epoch` \(2\)"),
        ({"mixed_precision": "float64"}, r"`mixed_precision`.*float64"),
        ({"seed": "a"}, r"`seed`.*Received: seed='a'"),
    ]
    for arguments, message in bad:
        with pytest.raises(ValueError, match=message):
            recipes.study(**{**common, **arguments})
        assert not os.path.exists(out), arguments

    os.makedirs(out)
    stored = tmp_path / "study" / "study.json"
    settings = {"dataset": "fashion_mnist", "epochs": 3, "seed": 0, "mixed_precision": None,
                "steps": None, "steps_per_epoch": None, "validation_steps": None,
                "batch_size": None, "nets": ["plain20"]}  # fmt: skip
    stored.write_text(json.dumps(settings))
    before = stored.read_text()
    with pytest.raises(ValueError, match=r"`output_dir`.*other settings \(epochs=3\).*epochs=5"):
        recipes.study(["plain"], [20], epochs=5, output_dir=out, data_dir=fashion_dir)
    assert stored.read_text() == before

    other = tmp_path / "train_run"
    other.mkdir()
    (other / "recipe.json").write_text("{}")
    with pytest.raises(ValueError, match=r"not a study folder"):
        recipes.study(output_dir=str(other), data_dir=fashion_dir, steps=2)

    with pytest.raises(SystemExit) as info:
        cli.main(["study", "--depths", "20", "21", "--output", str(tmp_path / "cli")])
    assert info.value.code == 2
    error = capsys.readouterr().err  # the study's own check, in the command line's words
    assert "--depths should hold CIFAR depths 6n+2" in error and not (tmp_path / "cli").exists()


@pytest.mark.slow
def test_study_killed_during_the_second_net_resumes_and_writes_every_output(tmp_path, fashion_dir):
    out = tmp_path / "study"
    command = [
        sys.executable, "-m", "keras_resnet.cli", "study", "--depths", "8", "--families",
        "plain", "resnet", "--steps", "6", "--steps-per-epoch", "2", "--validation-steps", "1",
        "--batch-size", "32", "--output", str(out), "--data-dir", fashion_dir,
        "--pipeline", "tfdata",  # the recipes' tests train on memory, the default
    ]  # fmt: skip
    kill_after_epochs(command, out / "resnet8", epochs=1, timeout=300)
    first_metrics = out / "plain8" / "metrics.json"
    assert first_metrics.exists() and not (out / "resnet8" / "metrics.json").exists()
    stamp = first_metrics.stat().st_mtime_ns

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    lines = rerun.stdout.splitlines()
    assert "study 1/2 plain8: finished earlier (metrics.json), skipped" in lines
    epochs = [line for line in lines if line.startswith("study 2/2 resnet8: epoch")]
    assert epochs and not any("epoch 1/3" in line for line in epochs)  # resumed, not restarted
    assert all("ETA: this net" in line and "study" in line for line in epochs)
    assert first_metrics.stat().st_mtime_ns == stamp  # the first net was not retrained

    with open(out / "resnet8" / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1", "2"]
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["family"], r["depth"]) for r in rows] == [("plain", "8"), ("resnet", "8")]
    assert set(rows[0]) == set(RESULT_COLUMNS)
    assert all(value != "" for row in rows for value in row.values())
    assert rows[0]["parameters"] == rows[1]["parameters"]  # option A adds no parameters
    table = (out / "table.md").read_text()
    assert "| plain | 8 |" in table and "| ResNet | 8 |" in table
    png = (out / "fig6.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 2 * height  # two panels side by side
    summary = json.loads((out / "summary.json").read_text())
    ids = ["degradation", "shortcuts", "deeper_resnet", "residual_learning"]
    assert [c["id"] for c in summary["claims"]] == ids
    assert all(c["status"] == "not enough data" for c in summary["claims"])  # one depth only
    assert not (out / "resnet8" / "backup").exists()
