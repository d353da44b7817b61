"""Rules of the house that keep the repository readable: what imports what, what is cited."""

import ast
import os
import pathlib

from helpers import python_output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _repository_files(suffixes):
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in {"runs", "build"}]
        for name in files:
            if name.endswith(suffixes):
                yield os.path.join(folder, name)


def test_no_file_cites_a_document_outside_the_repository():
    citing = [
        os.path.relpath(path, ROOT)
        for path in _repository_files((".py", ".md", ".json", ".txt", ".cfg", ".toml"))
        if "REFERENCE" + ".md" in pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    ]
    assert citing == []


def test_no_test_imports_conftest_or_another_test_module():
    tests = os.path.join(ROOT, "tests")
    offenders = []
    for path in _repository_files(".py"):
        if not path.startswith(tests):
            continue
        tree = ast.parse(pathlib.Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{os.path.relpath(path, ROOT)}: {name}"
                for name in names
                if name == "conftest" or name.startswith("test_")
            ]
    assert offenders == []


def test_the_data_pipeline_and_the_models_load_without_the_hub_client():
    code = (
        "import sys, keras\n"
        "keras_imports_hub = 'huggingface_hub' in sys.modules\n"
        "import keras_resnet.data, keras_resnet\n"
        "keras_resnet.ResNet20()\n"
        "print('keras_resnet.zoo.hub' in sys.modules, keras_imports_hub,"
        " 'huggingface_hub' in sys.modules)\n"
    )
    words = python_output(code)
    zoo_hub, keras_imports_hub, hub_imported = words
    assert zoo_hub == "False"
    # Keras itself imports huggingface_hub (for its hf:// paths); keras_resnet adds nothing.
    assert hub_imported == keras_imports_hub


def test_one_function_picks_the_evaluation_view():
    """Only ``data.views.evaluation_view`` calls the evaluation transforms: every other module
    that turns an evaluation image into a model input goes through it."""
    views = {"checkpoint_eval", "imagenet_eval"}
    callers = set()
    for path in pathlib.Path(ROOT, "keras_resnet").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                    node.func, "id", None)  # fmt: skip
                if called in views:
                    callers.add(path.relative_to(ROOT).as_posix())
    assert callers == {"keras_resnet/data/views.py"}


def test_constructors_are_written_out_for_editors_and_help():
    import inspect

    import keras_resnet

    for name in ("ResNet50", "Plain20", "ResNet1202"):
        constructor = getattr(keras_resnet, name)
        assert f"def {name}(" in inspect.getsource(constructor)
        parameters = inspect.signature(constructor).parameters
        assert list(parameters)[:3] == ["include_top", "weights", "input_tensor"]
        assert constructor.__doc__.startswith("Instantiate ")


#: The package's floors, lowest first: a module imports only from its own subpackage or from
#: a floor below (leaves may import each other). CONTRIBUTING.md draws the same picture.
FLOORS = (
    {
        "version",
        "vocabulary",
        "errors",
        "io",
        "archive",
        "network",
        "lock",
        "_quiet_start",
        "_backend",
        "weight_files",
        "lazy",
    },
    {"checkpoint", "schedules"},
    {"zoo"},
    {"models", "imagenet_utils", "data"},
    {"recipes", "deploy"},
    {"cli"},
)


def _module_name(path: pathlib.Path, package: pathlib.Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path, package: pathlib.Path) -> set[str]:
    """The package's modules ``path`` imports, at module level or inside functions (a
    ``from package import submodule`` counts as the submodule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("keras_resnet")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keras_resnet"):
            for alias in node.names:
                candidate = package.parent / f"{node.module}.{alias.name}".replace(".", "/")
                is_module = candidate.with_suffix(".py").exists() or candidate.is_dir()
                found.add(f"{node.module}.{alias.name}" if is_module else node.module)
    return found


def _floor(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return len(FLOORS)  # keras_resnet/__init__: the roof
    return next(i for i, names in enumerate(FLOORS) if parts[1] in names)


def test_imports_form_no_circle_and_never_run_up_a_floor():
    package = pathlib.Path(ROOT) / "keras_resnet"
    graph = {_module_name(path, package): _imports(path, package) for path in package.rglob("*.py")}
    upward = []
    for module, imported in graph.items():
        for other in imported:
            same_subpackage = module.split(".")[:2] == other.split(".")[:2]
            below = _floor(other) < _floor(module) or _floor(other) == 0 == _floor(module)
            if not (same_subpackage or below):
                upward.append(f"{module} -> {other}")
    assert not upward, upward

    def circle_from(start, path, seen):
        for other in graph.get(path[-1], ()):
            if other == start:
                return [*path, other]
            if other not in seen and other in graph:
                seen.add(other)
                found = circle_from(start, [*path, other], seen)
                if found:
                    return found
        return None

    circles = [c for c in (circle_from(m, [m], set()) for m in graph) if c]
    # A package's __init__ importing its own submodules, which import siblings, is no circle.
    circles = [c for c in circles if not all(m.startswith(c[0] + ".") for m in c[1:-1])]
    assert not circles, circles[0]


def _code_lines(function: ast.FunctionDef, lines: list[str]) -> int:
    """Lines of code after the docstring: no blank lines, no comment-only lines."""
    body = function.body
    has_docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    start = body[0].end_lineno + 1 if has_docstring else body[0].lineno
    code = lines[start - 1 : function.end_lineno]
    return sum(1 for line in code if line.strip() and not line.strip().startswith("#"))


def test_no_function_is_longer_than_80_lines_of_code():
    long = []
    for path in pathlib.Path(ROOT, "keras_resnet").rglob("*.py"):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = _code_lines(node, text.splitlines())
                if size > 80:
                    long.append(f"{path.name}:{node.name} {size}")
    assert not long, long
