"""Offline Binder check: what repo2docker would build, rebuilt here without Docker.

repo2docker (the version mybinder.org runs, pinned in the test extra) renders the
repository's Dockerfile. Then its steps are replayed in a fresh virtual
environment: the base environment's Jupyter packages at repo2docker's pins for
Python 3.11, ``pip install -r binder/requirements.txt`` from the repository,
``pip check``, and ``binder/postBuild``.
"""

import importlib.metadata
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import venv

import pytest

from widgets.grading import notebooks
from widgets.grading.release import leak_scan, release_notebook

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# The base environment's packages that the kit must not replace.
BASE_PACKAGES = (
    "jupyterlab",
    "notebook",
    "jupyter_server",
    "ipywidgets",
    "ipykernel",
    "jupyterlab_widgets",
    "widgetsnbextension",
)
PYTHON = "3.11"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "test-artifacts", "__pycache__", "*.egg-info", "build", ".pytest_cache", "student"
)


def base_pins() -> dict[str, str]:
    """repo2docker's versions of BASE_PACKAGES for Python 3.11, read from its conda lock file."""
    package = pathlib.Path(importlib.util.find_spec("repo2docker").origin).parent  # found, not imported
    lock = package / "buildpacks" / "conda" / f"environment.py-{PYTHON}-linux-64.lock"
    found = dict(re.findall(r"/noarch/([a-z0-9_.\-]+?)-(\d[^-]*)-[^-/]+\.conda", lock.read_text()))
    return {name: found[name] for name in BASE_PACKAGES}


def test_repo2docker_is_the_pinned_version():
    assert importlib.metadata.version("jupyter-repo2docker") == "2026.4.0"


def test_base_pins_are_the_ones_binder_runs():
    pins = base_pins()
    assert pins["jupyterlab"].startswith("4.4.") and pins["notebook"].startswith("7.4.")
    assert pins["ipywidgets"].startswith("8.1.") and pins["jupyter_server"].startswith("2.")


def test_repo2docker_renders_the_dockerfile():
    done = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "binder-repo2docker.txt").write_text(output)
    assert done.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "Python version unspecified" not in output  # runtime.txt was read
    assert f"Building conda environment for python={PYTHON}" in output
    # A local requirement ("."): pip runs after the repository is copied in, then postBuild.
    copy = output.index("COPY --chown")
    assert output.index('pip install --no-cache-dir -r "binder/requirements.txt"') > copy
    assert output.index("./binder/postBuild") > output.index('binder/requirements.txt"')


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """The repository built as repo2docker would: base pins, requirements, postBuild."""
    where = tmp_path_factory.mktemp("binder")
    repo = where / "repo"
    shutil.copytree(ROOT, repo, ignore=NOT_COPIED)
    prefix = where / "env"
    venv.create(prefix, with_pip=True)
    pip = [str(prefix / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    pins = base_pins()

    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "binder-check.log"
    log.write_text("")

    def run(name, command, **kwargs):
        started = time.monotonic()
        done = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=1800, **kwargs)
        took = time.monotonic() - started  # logged for whoever makes CI faster; no test reads it
        with log.open("a") as out:
            out.write(f"$ {' '.join(map(str, command))}  # {name}: exit {done.returncode}, {took:.0f} s\n")
            out.write(done.stdout + done.stderr + "\n")
        assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    run("base", [*pip, "install", "-q", *(f"{n}=={v}" for n, v in pins.items())])
    run("requirements", [*pip, "install", "-q", "-r", "binder/requirements.txt"])
    home = where / "home"
    home.mkdir()
    env = {
        "PATH": f"{prefix / 'bin'}:{os.environ['PATH']}",
        "HOME": str(home),
        "NB_PYTHON_PREFIX": str(prefix),
        "KERNEL_PYTHON_PREFIX": str(prefix),
        "LANG": "C.UTF-8",
    }
    # repo2docker copies the repository without the executable bit on Windows
    # checkouts and runs chmod first; so do we.
    os.chmod(repo / "binder" / "postBuild", 0o755)
    run("postBuild", ["./binder/postBuild"], env=env)
    return {
        "repo": repo,
        "prefix": prefix,
        "home": home,
        "env": env,
        "pip": pip,
        "pins": pins,
    }


def test_requirements_keep_the_base_jupyter_packages(binder_env):
    listed = subprocess.run(
        [*binder_env["pip"], "list", "--format", "json"], capture_output=True, text=True, check=True
    )
    installed = {p["name"].lower().replace("-", "_"): p["version"] for p in json.loads(listed.stdout)}
    for name, version in binder_env["pins"].items():
        assert installed[name.lower().replace("-", "_")] == version, name
    assert "numpyro_workflow_widgets" in installed


def test_pip_check_is_clean(binder_env):
    done = subprocess.run([*binder_env["pip"], "check"], capture_output=True, text=True)
    with (ARTIFACTS / "binder-check.log").open("a") as out:
        out.write(f"$ pip check  # exit {done.returncode}\n{done.stdout}{done.stderr}\n")
    assert done.returncode == 0, done.stdout + done.stderr


def test_jupyterlab_has_the_widget_and_bqplot_extensions(binder_env):
    done = subprocess.run(
        [str(binder_env["prefix"] / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        env=binder_env["env"],
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # without colours
    assert done.returncode == 0, listing
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ enabled OK", listing), listing
    assert re.search(r"\bbqplot v\S+ enabled OK", listing), listing


def test_postbuild_leaves_the_student_lessons(binder_env):
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    student = sorted((binder_env["repo"] / "student").glob("*.ipynb"))
    assert [p.name for p in student] == [p.name for p in lessons]
    for source, released in zip(lessons, student, strict=True):
        # What the grader's release writes (tested in tests/grading), but for the salts of the
        # multiple-choice keys, which are new on every release.
        assert _without_keys(notebooks.read(released)) == _without_keys(
            release_notebook(notebooks.read(source))
        )
        assert notebooks.BEGIN_SOLUTION not in released.read_text()
    assert leak_scan(binder_env["repo"] / "student", ROOT / "lessons") == []


def _without_keys(nb):
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
    return nb


def test_the_readme_badge_opens_a_student_lesson_in_jupyterlab(binder_env):
    badges = re.findall(
        r"\(https://mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/HEAD\?urlpath=lab/tree/(\S+?)\)",
        (ROOT / "README.md").read_text(),
    )
    assert len(badges) == 1
    assert (binder_env["repo"] / badges[0]).is_file(), badges[0]
    assert badges[0].endswith("01-first-bayesian-model.ipynb")


def test_postbuild_installs_the_settings_override(binder_env):
    override = binder_env["prefix"] / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(override.read_text())
    assert settings == {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
    }


_FIRST_FIT = """
import json
import numpyro
numpyro.set_host_device_count(4)
import jax
events = {}
jax.monitoring.register_event_listener(lambda name, **_: events.__setitem__(name, events.get(name, 0) + 1))
from widgets import WorkflowPanel
panel = WorkflowPanel()
panel.fit_panel.run()
assert panel.fit_panel.fit is not None
print(json.dumps({"events": events, "dir": jax.config.jax_compilation_cache_dir}))
"""


def test_postbuild_warms_the_cache_for_a_students_first_fit(binder_env):
    """A fresh kernel's first fit with the panels' defaults loads every program."""
    done = subprocess.run(
        [str(binder_env["prefix"] / "bin" / "python"), "-c", _FIRST_FIT],
        capture_output=True,
        text=True,
        env=binder_env["env"],
        cwd=binder_env["repo"] / "student",
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["dir"].startswith(str(binder_env["home"] / ".cache" / "numpyro-workflow-widgets"))
    events = report["events"]
    assert events.get("/jax/compilation_cache/cache_hits", 0) >= 3  # the sampler's init, advance, finish
    # Every program it looked up was there (the warm-up saves even quick compiles), so none compiled.
    assert (
        events["/jax/compilation_cache/compile_requests_use_cache"]
        == events["/jax/compilation_cache/cache_hits"]
    )
    assert events.get("/jax/compilation_cache/cache_misses", 0) == 0
