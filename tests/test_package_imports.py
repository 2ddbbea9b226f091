"""What importing the package costs: the public names load on first use."""

import subprocess
import sys

import pytest

import widgets

HEAVY = ("numpyro", "arviz", "ipywidgets", "bqplot", "widgets.inference")


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("module", ["widgets.grading", "widgets.grading.nbgrader", "widgets"])
def test_the_instructors_tools_start_without_the_inference_stack(module):
    """Does importing the grading tools (or the bare package) leave NumPyro, ArviZ and the widgets out?"""
    assert modules_after(f"import {module}") & set(HEAVY) == set()


def test_a_public_name_loads_its_module_and_is_the_same_object():
    """Does `from widgets import FitPanel` give the panel module's class, and is every public name there?"""
    from widgets import FitPanel
    from widgets.fit_panel import FitPanel as defined

    assert FitPanel is defined
    assert all(getattr(widgets, name) is not None for name in widgets.__all__)
    assert set(widgets.__all__) <= set(dir(widgets))


def test_an_unknown_name_is_an_attribute_error():
    """Is a name the package does not have an AttributeError naming it (as without lazy loading)?"""
    with pytest.raises(AttributeError, match="no attribute 'FitPanle'"):
        widgets.FitPanle  # noqa: B018
    with pytest.raises(ImportError):
        exec("from widgets import FitPanle")
