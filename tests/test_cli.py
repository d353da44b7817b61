"""The keras-resnet console script."""

import argparse
import dataclasses
import io
import json
import os
import subprocess
import sys

import pytest
from helpers import write_hostile_images

import keras_resnet
from keras_resnet import cli
from keras_resnet.cli.parser import build_parser
from keras_resnet.recipes.run_options import RunOptions, command_line_options
from keras_resnet.vocabulary import DTYPE_POLICIES, PIPELINES


def test_version_and_help_run_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "keras_resnet.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"keras-resnet {keras_resnet.__version__}"


def test_models_lists_every_model_with_the_papers_flops(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    for name in keras_resnet.list_models():
        assert f"\n{name} " in out
    assert "11.300G" in out  # ResNet-152, Table 1


def test_models_count_builds_and_counts():
    out = io.StringIO()
    rows = cli.models_table(count=True, names=["resnet20", "plain20"], out=out)
    assert [r["params"] for r in rows] == [269_722, 269_722]
    assert rows[0]["flops"] == 40_551_040
    assert "269,722" in out.getvalue()


def test_models_unknown_name_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["models", "resnet51"])
    assert info.value.code == 2
    assert "resnet51" in capsys.readouterr().err


def _command() -> list[str]:
    """The installed console script, or the module where the package is not installed."""
    script = os.path.join(os.path.dirname(sys.executable), "keras-resnet")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "keras_resnet.cli"]


def _cli(*args, timeout=900, check=True):
    result = subprocess.run(
        [*_command(), *map(str, args)], capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory, fashion_dir):
    """`keras-resnet train --recipe fashion_mnist_resnet20 --steps 40 --output D`, run once."""
    out = tmp_path_factory.mktemp("cli") / "run"
    result = _cli("train", "--recipe", "fashion_mnist_resnet20", "--steps", 40, "--output", out,
                  "--data-dir", fashion_dir)  # fmt: skip
    return out, result


@pytest.mark.slow
def test_train_writes_a_model_csv_png_and_metrics(trained):
    out, result = trained
    assert {"last.keras", "best.keras", "history.csv", "error.png", "metrics.json"} <= set(
        os.listdir(out)
    )
    assert "fashion_mnist_resnet20: test accuracy" in result.stdout
    assert "on 10,000 of 10,000 test images after 40 iterations" in result.stdout
    # TensorFlow's start-up lines are hidden (KERAS_RESNET_TF_LOGS=1 shows them).
    assert "absl::InitializeLog" not in result.stderr and "I0000 " not in result.stderr
    with open(out / "metrics.json") as f:
        metrics = json.load(f)
    assert metrics["iterations"] == 40 and 0.1 < metrics["test_accuracy"] <= 1


@pytest.mark.slow
def test_evaluate_prints_accuracy_and_writes_json(trained, fashion_dir, tmp_path, capsys):
    out, _ = trained
    report = tmp_path / "eval.json"
    result = _cli("evaluate", out / "best.keras", "--dataset", "fashion_mnist",
                  "--data-dir", fashion_dir, "--json", report)  # fmt: skip
    assert "fashion_mnist test (center): accuracy" in result.stdout
    assert "on 10,000 images" in result.stdout
    assert "10000/10000" in result.stdout  # Keras' progress bar, one line when not a terminal
    with open(report) as f:
        assert json.load(f)["examples"] == 10_000
    # --limit, --batch-size and JSON on stdout, in this process.
    with pytest.raises(SystemExit):
        cli.main(["evaluate", str(out / "best.keras"), "--weights", "imagenet",
                  "--dataset", "fashion_mnist"])  # fmt: skip
    assert "`--weights` applies to a model name" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["evaluate", str(tmp_path / "model.h5"), "--dataset", "fashion_mnist"])
    assert "or a saved `.keras` file. Received: " in capsys.readouterr().err
    # A --json path that cannot be written is refused before the evaluation, not after it.
    (tmp_path / "a_file").write_text("")
    unwritable = ((tmp_path, "not a folder"), (tmp_path / "a_file" / "r.json", "is a file"))
    for where, message in unwritable:
        with pytest.raises(SystemExit):
            cli.main(["evaluate", str(out / "best.keras"), "--dataset", "fashion_mnist",
                      "--json", str(where)])  # fmt: skip
        captured = capsys.readouterr()
        assert "`--json`" in captured.err and message in captured.err and not captured.out
    assert cli.main(["evaluate", str(out / "best.keras"), "--dataset", "fashion_mnist",
                     "--data-dir", fashion_dir, "--limit", "300", "--batch-size", "128",
                     "--json"]) == 0  # fmt: skip
    limited = json.loads(capsys.readouterr().out)
    assert limited["examples"] == 300 and 0 <= limited["accuracy"] <= 1


@pytest.mark.slow
def test_predict_reports_unreadable_files_and_goes_on(trained, fashion_dir, tmp_path, capsys):
    out, _ = trained
    from PIL import Image

    Image.new("L", (28, 28), 200).save(tmp_path / "a.png")
    Image.new("RGB", (40, 30), (10, 20, 30)).save(tmp_path / "b.jpg")
    (tmp_path / "c.jpg").write_bytes(b"\xff\xd8 broken")
    hostile = write_hostile_images(tmp_path)
    files = [tmp_path / "a.png", hostile["bomb"], tmp_path / "b.jpg", hostile["truncated"],
             tmp_path / "c.jpg"]  # fmt: skip
    # No --dataset: the trained model carries its dataset's preprocessing and class names.
    result = _cli("predict", *files, "--model", out / "best.keras",
                  "--data-dir", fashion_dir, "--top", 3)  # fmt: skip
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(files[0]))
    assert lines[1].startswith(str(files[2]))
    assert lines[0].count(",") == 2  # three classes
    fashion = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")  # fmt: skip
    assert all(any(f" {name} 0." in line for name in fashion) for line in lines)
    assert "c.jpg: error: not a readable image" in result.stderr
    assert "bomb.png: error: over Pillow's decompression-bomb limit" in result.stderr
    assert "truncated.jpg: error: not a readable image (image file is truncated" in result.stderr
    assert cli.main(["predict", *map(str, files), "--model", str(out / "best.keras"),
                     "--data-dir", fashion_dir, "--top", "2", "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    assert [r["error"] is None for r in rows] == [True, False, True, False, False]
    assert {c["name"] for c in rows[0]["classes"]} <= set(fashion) and len(rows[0]["classes"]) == 2
    only_bad = _cli("predict", files[4], "--model", out / "best.keras", check=False)
    assert only_bad.returncode == 1


def test_predict_a_one_channel_model_without_a_dataset(tmp_path, capsys):
    from PIL import Image

    from keras_resnet import recipes

    keras_resnet.ResNet20(input_shape=(32, 32, 1), classes=4).save(tmp_path / "grey.keras")
    model = recipes.load_model(str(tmp_path / "grey.keras"))  # as `predict --model` loads it
    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "red.png")
    [prediction] = recipes.predict_files(model, [str(tmp_path / "red.png")], top=2)
    assert prediction.error is None
    assert [name for _, name, _ in prediction.classes] == [
        f"class {i}" for i, _, _ in prediction.classes
    ]
    # A model name with --weights none: random weights (nothing downloaded), ImageNet's names.
    assert cli.main(["predict", str(tmp_path / "red.png"), "--model", "resnet18",
                     "--weights", "none", "--top", "1", "--json"]) == 0  # fmt: skip
    [row] = json.loads(capsys.readouterr().out)
    assert row["error"] is None and row["classes"][0]["name"] != "class 0"


def test_listings_print_json(capsys):
    listings = [(["models", "resnet20", "--json"], "model"), (["recipes", "--json"], "dataset"),
                (["weights", "list", "--arch", "resnet50", "--json"], "repo_id")]  # fmt: skip
    for argv, key in listings:
        assert cli.main(argv) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and all(key in row for row in rows), argv
    assert cli.main(["models", "resnet20", "plain20", "--json"]) == 0
    assert [r["blocks"] for r in json.loads(capsys.readouterr().out)] == [[3, 3, 3]] * 2


def test_every_subcommand_explains_its_options(capsys):
    for command in ("train", "evaluate", "predict", "models", "recipes"):
        with pytest.raises(SystemExit) as info:
            cli.main([command, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert f"usage: keras-resnet {command}" in out
        if command == "evaluate":
            assert "default: center" in out
    assert cli.main(["recipes"]) == 0
    assert "fashion_mnist_resnet20" in capsys.readouterr().out


def test_train_unknown_recipe_exits_2_with_a_clear_message():
    result = _cli("train", "--recipe", "fashion_mnist_resnet21", check=False)
    assert result.returncode == 2
    assert "fashion_mnist_resnet20" in result.stderr


def _readme_commands() -> list[list[str]]:
    """The ``keras-resnet`` lines of the bash blocks of README and docs/ as argument lists,
    optional ``[...]`` parts kept (brackets dropped), comments and ``;``-joined commands split."""
    import glob
    import re
    import shlex

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    blocks = []
    for page in [os.path.join(root, "README.md"), *glob.glob(os.path.join(root, "docs", "*.md"))]:
        with open(page) as handle:
            blocks += re.findall(r"```bash\n(.*?)```", handle.read(), re.S)
    commands = []
    for line in "\n".join(blocks).splitlines():
        for part in line.split("#")[0].split(";"):
            words = shlex.split(part.replace("[", "").replace("]", ""))
            if words[:1] == ["keras-resnet"]:
                commands.append([w for w in words[1:] if "|" not in w])
    return commands


def test_every_documented_command_parses_and_the_cheap_ones_run(capsys):
    commands = _readme_commands()
    assert len(commands) >= 8 and {c[0] for c in commands} >= {"train", "evaluate", "predict"}
    parser = cli.build_parser()
    for argv in commands:
        parser.parse_args(argv)  # every option the docs show exists (exit 2 otherwise)
        if argv[0] in ("models", "recipes") or argv[:2] == ["weights", "list"]:
            assert cli.main([a for a in argv if a != "--count"]) == 0, argv
    capsys.readouterr()


def test_the_console_script_answers_help_errors_and_listings_without_keras():
    """As the ``keras-resnet`` script runs: ``sys.argv[0]`` is its path when it imports
    ``keras_resnet.cli``; the Python import of the package (``-c``) loads it in full."""
    code = (
        "import sys\n"
        "sys.argv = ['/venv/bin/keras-resnet']\n"
        "from keras_resnet.cli import main\n"
        "for argv in (['--help'], ['train', '--help'], ['train'], ['models', 'resnet20'],\n"
        "             ['weights', 'list', '--arch', 'resnet18'], ['recipes'],\n"
        "             ['evaluate', 'x.keras']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('KERAS', 'keras' in sys.modules, 'tensorflow' in sys.modules)\n"
        "import keras_resnet\n"
        "print('MODEL', keras_resnet.ResNet20().name, 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, check=True)  # fmt: skip
    lines = result.stdout.splitlines()
    assert "KERAS False False" in lines and "MODEL resnet20 True" in lines
    assert "resnet18.tv_in1k" in result.stdout and "usage: keras-resnet train" in result.stdout
    assert "fashion_mnist_resnet20" in result.stdout  # the recipes, listed without Keras
    assert "the following arguments are required: --recipe" in result.stderr


def _options_of(parser: argparse.ArgumentParser, command: str) -> dict:
    """``command``'s options by their destination."""
    subparser = parser._subparsers._group_actions[0].choices[command]
    return {action.dest: action for action in subparser._actions}


def test_the_run_options_of_train_and_study_come_from_run_options_and_the_librarys_choices():
    parser = build_parser()
    shared = {field.name for field in command_line_options()}
    every = {field.name for field in dataclasses.fields(RunOptions)}
    assert shared <= every and {"steps", "pipeline", "mixed_precision"} <= shared
    for command in ("train", "study"):
        options = _options_of(parser, command)
        assert every <= set(options), f"{command} lacks {every - set(options)}"
        assert tuple(options["pipeline"].choices) == PIPELINES
        assert (None, *options["mixed_precision"].choices) == DTYPE_POLICIES
        for name in shared:  # the parser's defaults are RunOptions' own
            assert options[name].default == RunOptions.__dataclass_fields__[name].default
    finetune = _options_of(parser, "finetune")
    assert (None, *finetune["mixed_precision"].choices) == DTYPE_POLICIES
    arguments = parser.parse_args(
        ["train", "--recipe", "r", "--steps", "8", "--pipeline", "memory"]
    )
    options = RunOptions(**{name: getattr(arguments, name) for name in every})
    assert (options.steps, options.pipeline, options.steps_per_execution) == (8, "memory", 1)
