"""Python 3.11 to 3.13: the declared range, and wheels for every dependency on each.

CI and Binder install and run on Python 3.11. For 3.12 and 3.13 these tests resolve
the whole dependency set, the project's and the test extra's, as read from
pyproject.toml, with ``uv pip compile`` for CPython on Linux x86-64
(manylinux_2_28), wheels only: a pin that admits no wheel for a version fails.

uv, not pip: pip run by Python 3.11 with ``--python-version 3.13`` still evaluates
environment markers (``overrides; python_version < "3.12"``) for 3.11 (pypa/pip#11010),
and so resolved another numpy, scipy and contourpy here than pip run by a real 3.13.
uv evaluates them for the target, and resolved the same set as that real 3.13.
It asks the package index, so these tests need the network, as the install does.
"""

import concurrent.futures
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest
import uv
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TESTED = "3.11"  # the Python that CI and Binder install and run
RESOLVED = ("3.12", "3.13")  # resolved to wheels here
PLATFORM = "x86_64-manylinux_2_28"  # glibc >= 2.28: Debian 10, Ubuntu 20.04, RHEL 8 and later


def requirements() -> list[str]:
    """Every requirement the test command installs: the dependencies and the test extra."""
    return PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]


def resolve(reqs: list[str], python: str, folder: pathlib.Path) -> subprocess.CompletedProcess:
    """Resolve `reqs` for CPython `python` on Linux x86-64 from wheels alone.

    Parameters
    ----------
    reqs : list of str
        PEP 508 requirements.
    python : str
        The target Python, ``"3.13"``.
    folder : pathlib.Path
        Where to write the requirements file.

    Returns
    -------
    subprocess.CompletedProcess
        uv's run: ``name==version`` lines on stdout when it resolved.
    """
    path = folder / f"requirements-{python}.in"
    path.write_text("\n".join(reqs) + "\n")
    command = [uv.find_uv_bin(), "pip", "compile", str(path), "--no-config", "--quiet"]
    command += ["--python-version", python, "--python-platform", PLATFORM, "--only-binary", ":all:"]
    command += ["--no-header", "--no-annotate"]
    # The running interpreter, not a search for a real one (pyenv's shims took ~10 s to
    # try), and no download of one: markers are evaluated for `python` all the same.
    command += ["--python", sys.executable, "--no-python-downloads"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def resolve_each(reqs: list[str], pythons, folder: pathlib.Path) -> dict[str, subprocess.CompletedProcess]:
    """`resolve` for each of `pythons` at once: each waits mostly on the index."""
    with concurrent.futures.ThreadPoolExecutor(len(pythons)) as pool:
        runs = {python: pool.submit(resolve, reqs, python, folder) for python in pythons}
    return {python: run.result() for python, run in runs.items()}


def pins(output: str) -> dict[str, str]:
    """``{name: version}`` from uv's ``name==version`` lines."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", output, flags=re.MULTILINE)
    return {canonicalize_name(name): version for name, version in found}


def target_environment(python: str) -> dict[str, str]:
    """The environment markers of CPython `python` on Linux x86-64."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    }


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory):
    return resolve_each(requirements(), RESOLVED, tmp_path_factory.mktemp("resolve"))


def test_requires_python_admits_exactly_the_checked_versions():
    """Does requires-python admit 3.11 and the resolved versions, and nothing this file does not check?"""
    admitted = SpecifierSet(PROJECT["requires-python"])
    checked = {TESTED, *RESOLVED}
    for minor in range(8, 16):
        version = f"3.{minor}"
        assert admitted.contains(f"{version}.0") == (version in checked), version


def test_classifiers_name_the_admitted_versions():
    """Do the 'Programming Language :: Python :: 3.x' classifiers list exactly 3.11, 3.12 and 3.13?"""
    named = {c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"] if re.fullmatch(r".*:: 3\.\d+", c)}
    assert named == {TESTED, *RESOLVED}


@pytest.mark.parametrize("python", RESOLVED)
def test_every_requirement_resolves_to_wheels(resolutions, python):
    """Does every dependency and test requirement get a wheel for CPython `python` on Linux x86-64?"""
    done = resolutions[python]
    assert done.returncode == 0, done.stderr[-4000:]
    resolved = pins(done.stdout)
    assert len(resolved) > 100, done.stdout  # the whole tree, not only the direct requirements
    for line in requirements():
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(target_environment(python)):
            continue
        name = canonicalize_name(req.name)
        assert name in resolved, f"{line} is missing from the resolution for {python}"
        assert req.specifier.contains(resolved[name], prereleases=True), (line, resolved[name])


def test_a_pin_with_no_cp313_wheel_fails_for_313_only(tmp_path):
    """Does the check fail for 3.13, and only there, when numpy is held to 2.0 (cp312 wheels, no cp313)?"""
    reqs = [r for r in requirements() if canonicalize_name(Requirement(r).name) != "numpy"]
    runs = resolve_each([*reqs, "numpy>=2.0,<2.1"], RESOLVED, tmp_path)
    assert runs["3.12"].returncode == 0, runs["3.12"].stderr[-4000:]
    assert pins(runs["3.12"].stdout)["numpy"].startswith("2.0.")
    assert runs["3.13"].returncode != 0, runs["3.13"].stdout
    assert "numpy" in runs["3.13"].stderr and "wheel" in runs["3.13"].stderr, runs["3.13"].stderr
