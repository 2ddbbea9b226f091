"""PriorPanel driven from Python as a student would: controls in, plotted marks out."""

import re

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import marks_by_label
from widgets import PriorPanel, Priors
from widgets.families import FAMILIES
from widgets.prior_panel import SITES


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
    """Does the readout count the share of prior predictive y outside the plausible range (and follow it)?"""
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
        (
            None,
            slide("a", "loc", float("nan")),
            "prior on a: Normal: loc must be a finite number; got nan",
        ),
        (
            None,
            slide("sigma", "scale", float("nan")),
            "prior on sigma: HalfNormal: scale must be a finite number > 0; got nan",
        ),
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
        (None, lambda p: setattr(p, "seed", -1), r"seed must be an integer in \[0, 2\*\*32\); got -1"),
    ],
)
def test_bad_input_shows_a_message_and_keeps_the_last_good_state(setup, move, message):
    """Does a bad value show a message, keep plot, priors, ranges, controls and code; does Reset recover?"""
    panel = PriorPanel()
    if setup:
        setup(panel)
    before_priors, before_code = panel.priors, panel.code
    before_band = marks_by_label(panel.figure)["95% of y"].y.copy()
    before_controls = controls(panel)
    move(panel)
    assert re.search(message, panel.message), panel.message
    assert panel.priors == before_priors and panel.code == before_code
    np.testing.assert_array_equal(marks_by_label(panel.figure)["95% of y"].y, before_band)
    assert controls(panel) == before_controls
    assert (panel.x_range, panel.plausible, panel.seed) == ((-2.0, 2.0), (-10.0, 10.0), 0)
    panel.reset()
    assert panel.message == ""
    assert panel.priors == Priors()
    assert panel.hyper_controls["a"]["scale"].value == 2.0


def controls(panel):
    """What the controls show: each family, each slider value, and the range boxes."""
    return (
        {site: dropdown.value for site, dropdown in panel.family_controls.items()},
        {
            site: {name: s.value for name, s in sliders.items()}
            for site, sliders in panel.hyper_controls.items()
        },
        (panel.x_low.value, panel.x_high.value, panel.plausible_low.value, panel.plausible_high.value),
    )


def test_after_a_bad_value_a_family_switch_applies():
    """After a rejected value, does switching a's family to StudentT move the curve, priors and code line?"""
    panel = PriorPanel()
    panel.hyper_controls["a"]["scale"].value = 0.2
    panel.hyper_controls["a"]["loc"].value = float("nan")
    assert "loc must be a finite number" in panel.message
    assert panel.hyper_controls["a"]["loc"].value == 0.0  # the control shows the last good value
    normal_density = marks_by_label(panel.density_figures["a"])["prior density"].y.copy()
    panel.family_controls["a"].value = "StudentT"
    assert panel.message == ""
    assert isinstance(panel.priors.a, dist.StudentT) and float(panel.priors.a.scale) == pytest.approx(0.2)
    assert panel.code.startswith("Priors(a=dist.StudentT(df=3.0, loc=0.0, scale=0.2)")
    assert not np.array_equal(marks_by_label(panel.density_figures["a"])["prior density"].y, normal_density)


def test_the_next_good_value_recovers():
    """After a bad Uniform bound, does a good one clear the message and redraw?"""
    panel = PriorPanel()
    choose_uniform_b(panel)
    panel.hyper_controls["b"]["low"].value = 6.0
    assert "must be below high" in panel.message
    panel.hyper_controls["b"]["low"].value = 3.0
    assert panel.message == ""
    assert float(panel.priors.b.low) == 3.0


@pytest.mark.parametrize("site", SITES)
def test_no_slider_position_gives_an_invalid_prior(site):
    """Does every slider of every family, at either end (or dragged below it), give a valid prior?

    Uniform's bounds are checked against each other (see the bad input test), not one by one.
    """
    panel = PriorPanel()
    for family in FAMILIES[site]:
        panel.family_controls[site].value = family
        for name, slider in panel.hyper_controls[site].items():
            if family == "Uniform":
                continue
            for value in (slider.max, slider.min, slider.min - 1.0, 0.0):
                slider.value = value  # the Home key and a drag to the left end give slider.min
                assert panel.message == "", (site, family, name, value, panel.message)
                assert float(getattr(getattr(panel.priors, site), name)) == pytest.approx(slider.value)
    scale = PriorPanel().hyper_controls["a"]["scale"]
    assert scale.min == pytest.approx(0.05) and scale.max == 10.0


def test_priors_beyond_a_slider_range_widen_it():
    """Does setting priors with a scale past the slider's end keep that scale, widening the slider?"""
    panel = PriorPanel()
    panel.priors = Priors(a=dist.Normal(0.0, 25.0), sigma=dist.HalfNormal(0.01))
    assert float(panel.priors.a.scale) == 25.0 and panel.hyper_controls["a"]["scale"].max == 25.0
    assert panel.hyper_controls["sigma"]["scale"].value == pytest.approx(0.01)
    assert panel.message == ""


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
