"""The SBC lesson's checks: a simulator's noise prior within Monte Carlo error, a panel's setting."""

import numpy as np
import pytest

from widgets.checks._check import Context
from widgets.checks.sbc import panel_setting, simulator_noise, stand_in_simulator
from widgets.grading import compare
from widgets.inference import linear_regression
from widgets.sbc_panel import SBCPanel


def right(rng, x):
    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}


def wide_noise(rng, x):
    return {**right(rng, x), "sigma": abs(rng.normal(0.0, 1.5))}


@pytest.mark.parametrize("challenge", [0, 1, 2])
def test_does_a_right_simulator_pass_on_every_challenge(challenge):
    """4.5 Monte Carlo standard errors each side: a right simulator fails about 7 times in a million."""
    data = simulator_noise().data(right, Context(challenge=challenge))
    assert compare.verdict(data["check"], data["answer"], data["reference"])[0]


def test_is_a_noise_prior_of_another_scale_or_the_stand_in_refused():
    """HalfNormal(1.5) has mean 1.20 against 0.80: 30 standard errors of 4000 draws away."""
    check = simulator_noise()
    assert not check(wide_noise).passed
    assert not check(stand_in_simulator).passed


def test_is_something_that_is_not_a_simulator_refused_saying_so():
    assert "expected a function simulator(rng, x)" in simulator_noise()(3.0).reason
    assert "'sigma' among its keys" in simulator_noise()(lambda rng, x: {"s": 1.0}).reason


def test_does_panel_setting_read_the_panel_from_its_code_line():
    panel = SBCPanel(linear_regression, right, {"x": np.zeros(3)}, thin=10)
    assert panel_setting(10, name="thin")(panel).passed
    assert not panel_setting(5, name="thin")(panel).passed
    assert "expected a panel" in panel_setting(10, name="thin")(10).reason
