"""The distribution builds offline (PEP 517, no build isolation) and ships what users need."""

import os
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIP = shutil.ignore_patterns(".git", ".venv", "runs", "build", "dist", "*.egg-info",
                               "__pycache__", ".ruff_cache", "results")  # fmt: skip


def test_the_wheel_builds_without_network_and_ships_types_data_and_the_script(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=_SKIP)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    [wheel] = os.listdir(tmp_path / "dist")
    assert wheel.startswith("keras_resnet_zoo-")
    with zipfile.ZipFile(tmp_path / "dist" / wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(metadata_name).decode()
        entry_points = archive.read(metadata_name.replace("METADATA", "entry_points.txt"))
    shipped = ["py.typed", "zoo/registry.json", "imagenet_class_index.json", "cli/__main__.py"]
    for name in shipped:
        assert f"keras_resnet/{name}" in names, name
    assert not any(n.startswith(("tests/", "examples/")) for n in names)
    assert "Name: keras-resnet-zoo" in metadata
    assert "Classifier: License ::" not in metadata  # deprecated beside `license` (setuptools)
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    assert "Classifier: Typing :: Typed" in metadata and "Project-URL: Paper," in metadata
    assert b"keras-resnet = keras_resnet.cli:main" in entry_points
