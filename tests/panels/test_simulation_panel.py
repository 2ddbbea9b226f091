"""SimulationPanel driven from Python: controls in, data and marks out."""

import re

import numpy as np
import pytest

from tests.conftest import marks_by_label
from widgets import SimulationPanel, simulated_data

Z_MAX = 4.5


def test_shows_the_data_it_exposes():
    """Are the plotted points exactly panel.x and panel.y, with n points?"""
    panel = SimulationPanel(n=60)
    points = marks_by_label(panel.figure)["simulated data"]
    assert panel.x.shape == panel.y.shape == (60,)
    np.testing.assert_array_equal(points.x, panel.x)
    np.testing.assert_array_equal(points.y, panel.y)
    assert panel.x.min() >= -2.0 and panel.x.max() <= 2.0


def test_least_squares_slope_is_near_the_true_slope_for_large_n():
    """With n = 1000, is the least-squares slope within 4.5 standard errors of the slider's a?"""
    panel = SimulationPanel()
    panel.a_slider.value = -2.5
    panel.sigma_slider.value = 0.8
    panel.n_slider.value = 1000
    design = np.column_stack([panel.x, np.ones_like(panel.x)])
    slope = np.linalg.lstsq(design, panel.y, rcond=None)[0][0]
    standard_error = 0.8 * np.sqrt(np.linalg.inv(design.T @ design)[0, 0])
    assert abs(slope + 2.5) < Z_MAX * standard_error


def test_true_line_follows_a_and_b():
    """Does the true line go through a*x + b at the ends of the x range?"""
    panel = SimulationPanel(a=2.0, b=1.0, x_range=(-1.0, 3.0))
    line = marks_by_label(panel.figure)["true line a*x + b"]
    np.testing.assert_allclose(line.x, [-1.0, 3.0])
    np.testing.assert_allclose(line.y, [-1.0, 7.0])


def test_more_points_keep_the_earlier_ones():
    """Does raising n add points without redrawing the ones already shown?"""
    panel = SimulationPanel(n=20)
    first = panel.y.copy()
    panel.n = 200
    np.testing.assert_array_equal(panel.y[:20], first)


def test_code_line_rebuilds_the_same_data():
    """Does the code line give a panel with identical data?"""
    panel = SimulationPanel(a=0.7, b=2.0, sigma=1.1, n=33, x_range=(0.0, 5.0), seed=4)
    rebuilt = eval(panel.code, {"SimulationPanel": SimulationPanel})
    np.testing.assert_array_equal(rebuilt.x, panel.x)
    np.testing.assert_array_equal(rebuilt.y, panel.y)
    np.testing.assert_array_equal(simulated_data(0.7, 2.0, 1.1, 33, (0.0, 5.0), 4)[1], panel.y)


@pytest.mark.parametrize(
    "move, message",
    [
        (lambda p: setattr(p, "n", 0), "n must be an integer from 1 to 1000; got 0"),
        (lambda p: setattr(p, "sigma", 0.0), "sigma must be > 0; got 0.0"),
        (
            lambda p: setattr(p, "x_range", (2.0, 2.0)),
            r"x range: the low end \(2\) must be below the high end \(2\)",
        ),
        (
            lambda p: setattr(p.x_low, "value", 5.0),
            r"x range: the low end \(5\) must be below the high end \(2\)",
        ),
        (lambda p: setattr(p, "a", float("nan")), "a must be a finite number; got nan"),
        (lambda p: setattr(p.a_slider, "value", float("nan")), "a must be a finite number; got nan"),
        (lambda p: setattr(p, "seed", -1), r"seed must be an integer in \[0, 2\*\*32\); got -1"),
    ],
)
def test_bad_input_keeps_the_last_good_data(move, message):
    """After a bad value: a message, the last data, inputs, controls and code put back; and a good change?"""
    panel = SimulationPanel()
    before, code = panel.y.copy(), panel.code
    move(panel)
    assert re.search(message, panel.message), panel.message
    np.testing.assert_array_equal(panel.y, before)
    np.testing.assert_array_equal(marks_by_label(panel.figure)["simulated data"].y, before)
    assert (panel.a, panel.sigma, panel.n, panel.x_range) == (1.5, 0.3, 80, (-2.0, 2.0))
    assert (panel.a_slider.value, panel.sigma_slider.value, panel.n_slider.value) == (1.5, 0.3, 80)
    assert (panel.x_low.value, panel.x_high.value) == (-2.0, 2.0)
    assert panel.code == code
    panel.seed = 1
    assert panel.message == "" and "seed=1" in panel.code


def test_sliders_offer_only_valid_values():
    """Can no slider position, from one end to the other, give an invalid simulation?"""
    panel = SimulationPanel()
    for slider in (panel.a_slider, panel.b_slider, panel.sigma_slider, panel.n_slider):
        for value in (slider.min, slider.max, slider.min - 1):  # below the range: the slider clamps
            slider.value = value
            assert panel.message == "", (slider.description, value, panel.message)
    assert panel.sigma == panel.sigma_slider.min > 0 and panel.n == panel.n_slider.min == 1


def test_no_compilation_on_slider_moves(compile_counter):
    """After the first draw, do moves of a, b, sigma, n and seed run without tracing or compiling?"""
    panel = SimulationPanel()
    counter = compile_counter()
    for i in range(10):
        panel.a_slider.value = 0.3 * i
        panel.sigma_slider.value = 0.1 + 0.2 * i
        panel.n_slider.value = 10 + 50 * i
        panel.seed = i
    assert (counter.traces, counter.compilations) == (0, 0)
