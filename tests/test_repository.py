"""The repository keeps its promises: README commands, CI script, one inference package."""

import ast
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_exactly_two_commands():
    """Does the README give one install-and-open command and one test command?"""
    commands = readme_commands()
    assert len(commands) == 2, commands
    # JupyterLab serves the clone (lessons/ and the released student/ side by side), with Binder's settings.
    assert commands[0].endswith(".venv/bin/jupyter lab --allow-root --LabApp.app_settings_dir=binder")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    """Is the last line of .ci/run exactly the README's test command?"""
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == readme_commands()[1]


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_only_the_inference_package_uses_numpyro_infer_or_arviz():
    """Is the package widgets/inference/ the only place in widgets/ importing numpyro.infer or arviz?"""
    boundary = ROOT / "widgets" / "inference"
    offenders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "widgets").rglob("*.py")
        if not path.is_relative_to(boundary)
        and any(m.startswith(("numpyro.infer", "arviz")) for m in imported_modules(path))
    }
    assert offenders == set()
    inside = [m for path in boundary.rglob("*.py") for m in imported_modules(path)]
    assert any(m.startswith("numpyro.infer") for m in inside)
    assert any(m.startswith("arviz") for m in inside)


def test_package_benchmarks_and_tests_pass_the_linter():
    """Do widgets/, benchmarks/ and tests/ pass ruff (pyflakes, pycodestyle, NumPy docstrings, bugbear)?"""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "widgets", "benchmarks", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
