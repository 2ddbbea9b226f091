"""PriorPanel driven from Python as a student would: controls in, plotted marks out."""

import re

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import marks_by_label
from widgets import PriorPanel, Priors


def band_width(panel, label="95% of y"):
    """Mean width of a plotted band over the x grid."""
    lower, upper = marks_by_label(panel.figure)[label].y
    return float(np.mean(upper - lower))


def test_starts_from_the_tutorials_priors():
    """Does a new panel show the tutorial's priors, with no message and plotted bands?"""
    panel = PriorPanel()
    assert panel.priors == Priors()
    assert panel.message == ""
    assert marks_by_label(panel.figure)["95% of y"].y.shape == (2, 50)
    assert panel.family_controls["sigma"].value == "HalfNormal"


def test_widening_the_prior_on_a_widens_the_band():
    """Does moving a's scale slider from 1 to 4 widen the 95% prior predictive band?"""
    panel = PriorPanel()
    panel.hyper_controls["a"]["scale"].value = 1.0
    narrow = band_width(panel)
    panel.hyper_controls["a"]["scale"].value = 4.0
    assert band_width(panel) > 1.5 * narrow
    assert float(panel.priors.a.scale) == 4.0


def test_density_follows_the_slider():
    """Does the plotted density of a peak at 1/(sqrt(2 pi) scale) for the chosen scale?"""
    panel = PriorPanel()
    panel.hyper_controls["a"]["scale"].value = 0.5
    density = marks_by_label(panel.density_figures["a"])["prior density"]
    assert np.max(density.y) == pytest.approx(1 / (np.sqrt(2 * np.pi) * 0.5), rel=1e-3)


def test_outside_share_matches_the_draws():
    """Does the readout count the share of prior predictive y outside the plausible range (and move with it)?"""
    panel = PriorPanel()
    wide = panel.outside_share
    panel.plausible = (-1.0, 1.0)
    assert 0.0 <= wide < panel.outside_share <= 1.0
    assert "outside the plausible range [-1, 1]" in panel._readout.value


def test_family_change_keeps_shared_hyperparameters():
    """Switching a from Normal to StudentT keeps loc and scale and adds df."""
    panel = PriorPanel()
    panel.hyper_controls["a"]["scale"].value = 3.0
    panel.family_controls["a"].value = "StudentT"
    assert set(panel.hyper_controls["a"]) == {"df", "loc", "scale"}
    assert isinstance(panel.priors.a, dist.StudentT)
    assert float(panel.priors.a.scale) == 3.0


def test_copy_as_code_rebuilds_the_same_state():
    """Does the code line, evaluated, give a panel with the same priors and code?"""
    panel = PriorPanel()
    panel.family_controls["sigma"].value = "Exponential"
    panel.hyper_controls["sigma"]["rate"].value = 2.5
    panel.hyper_controls["b"]["loc"].value = 1.0
    rebuilt = eval(
        f"PriorPanel(priors={panel.code})", {"PriorPanel": PriorPanel, "Priors": Priors, "dist": dist}
    )
    assert rebuilt.priors == panel.priors
    assert rebuilt.code == panel.code
    assert {k: s.value for k, s in rebuilt.hyper_controls["sigma"].items()} == {"rate": 2.5}


def test_setting_priors_moves_the_controls():
    """Does assigning panel.priors select the family and set the sliders?"""
    panel = PriorPanel()
    panel.priors = Priors(b=dist.Uniform(-3.0, 4.0))
    assert panel.family_controls["b"].value == "Uniform"
    assert {k: s.value for k, s in panel.hyper_controls["b"].items()} == {"low": -3.0, "high": 4.0}


def slide(site, name, value):
    return lambda panel: setattr(panel.hyper_controls[site][name], "value", value)


def choose_uniform_b(panel):
    panel.family_controls["b"].value = "Uniform"


@pytest.mark.parametrize(
    "setup, move, message",
    [
        (None, slide("a", "scale", 0.0), "prior on a: Normal: scale must be a finite number > 0; got 0"),
        (None, slide("sigma", "scale", 0.0), "prior on sigma: HalfNormal: scale must be a finite number > 0"),
        (
            choose_uniform_b,
            slide("b", "low", 6.0),
            r"prior on b: Uniform: low \(6\) must be below high \(5\)",
        ),
        (
            None,
            lambda p: setattr(p, "x_range", (1.0, 1.0)),
            r"x range: the low end \(1\) must be below the high end \(1\)",
        ),
        (
            None,
            lambda p: setattr(p.x_low, "value", 3.0),
            r"x range: the low end \(3\) must be below the high end \(2\)",
        ),
        (
            None,
            lambda p: setattr(p, "plausible", (5.0, -5.0)),
            r"plausible y: the low end \(5\) must be below the high end \(-5\)",
        ),
        (
            None,
            lambda p: setattr(p, "plausible", (float("nan"), 5.0)),
            "plausible y: both ends must be finite numbers",
        ),
    ],
)
def test_bad_input_shows_a_message_and_keeps_the_last_good_state(setup, move, message):
    """Does a bad value show a clear message, keep the plot and the last good priors, and does Reset recover?"""
    panel = PriorPanel()
    if setup:
        setup(panel)
    before_priors = panel.priors
    before_band = marks_by_label(panel.figure)["95% of y"].y.copy()
    move(panel)
    assert re.search(message, panel.message), panel.message
    assert panel.priors == before_priors
    np.testing.assert_array_equal(marks_by_label(panel.figure)["95% of y"].y, before_band)
    panel.reset()
    assert panel.message == ""
    assert panel.priors == Priors()
    assert panel.hyper_controls["a"]["scale"].value == 2.0


def test_the_next_good_value_recovers():
    """After a bad scale, does a good one clear the message and redraw?"""
    panel = PriorPanel()
    panel.hyper_controls["a"]["scale"].value = 0.0
    panel.hyper_controls["a"]["scale"].value = 3.0
    assert panel.message == ""
    assert float(panel.priors.a.scale) == 3.0


def test_no_compilation_on_slider_moves(compile_counter):
    """After the first draw, do 30 moves of every hyperparameter slider run without tracing or compiling?"""
    panel = PriorPanel()
    counter = compile_counter()
    for value in np.linspace(0.5, 4.0, 10):
        panel.hyper_controls["a"]["scale"].value = float(value)
        panel.hyper_controls["b"]["loc"].value = float(value) - 2.0
        panel.hyper_controls["sigma"]["scale"].value = float(value) / 2
    assert panel.message == ""
    assert (counter.traces, counter.compilations) == (0, 0)


def test_state_reaches_the_browser_model():
    """Is the plotted band in the mark's widget state, as sent to the front end?"""
    panel = PriorPanel()
    state = marks_by_label(panel.figure)["95% of y"].get_state()
    assert "y" in state and state["fill"] == "between"
