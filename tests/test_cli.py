"""The keras-resnet console script."""

import io
import subprocess
import sys

import pytest

import keras_resnet
from keras_resnet import cli


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
