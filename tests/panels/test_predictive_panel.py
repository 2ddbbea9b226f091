"""PredictiveCheckPanel: bands, data, test statistics and p-values."""

import re

import numpy as np
import pytest

from tests.conftest import make_data, marks_by_label
from widgets import PredictiveCheckPanel, fit
from widgets.inference import as_data, predictive_pvalue, spread_draws, summary_statistic


@pytest.fixture(scope="module")
def data_and_fit():
    x, y = make_data(80, seed=0)
    return x, y, fit(x, y, seed=1)


def test_posterior_check_plots_bands_and_data(data_and_fit):
    """Are the observed data drawn over the 95% band, and does the band cover most of them?"""
    x, y, result = data_and_fit
    panel = PredictiveCheckPanel(x, y, fit=result)
    marks = marks_by_label(panel.bands_figure)
    np.testing.assert_array_equal(marks["observed data"].y, y.astype(np.float32))
    lower, upper = marks["95% of y_rep"].y
    grid = marks["95% of y_rep"].x
    inside = (y > np.interp(x, grid, lower)) & (y < np.interp(x, grid, upper))
    assert inside.mean() > 0.85


def test_p_value_is_the_share_of_replicated_statistics_above_the_observed(data_and_fit):
    """Does the shown p-value equal P(T(y_rep) >= T(y)) computed from the plotted histogram's draws?"""
    x, y, result = data_and_fit
    panel = PredictiveCheckPanel(x, y, fit=result, statistic="max", num_draws=1000)
    histogram = marks_by_label(panel.statistic_figure)["T(replicated y)"]
    assert histogram.y.sum() / 2 == 1000  # each count is drawn as a step of two points
    observed = marks_by_label(panel.statistic_figure)["T(observed y)"].x.ravel()[0]
    assert observed == pytest.approx(y.max(), rel=1e-6)
    assert 0.0 <= panel.p_value <= 1.0
    assert f"{panel.p_value:.3f}" in panel._readout.value


def test_the_replicated_data_sets_come_from_every_chain(data_and_fit):
    """500 of 4 x 1,000 draws: from all four chains (not chain 0's first 500), and the p-value theirs?"""
    x, y, result = data_and_fit
    panel = PredictiveCheckPanel(x, y, fit=result, statistic="max", num_draws=500)
    at_data = panel._draws["at_data"]
    assert at_data.shape[0] == 4000
    chosen = spread_draws(4000, 500)
    assert set(chosen // 1000) == {0, 1, 2, 3}
    observed = float(summary_statistic(as_data("y", y), "max"))
    assert panel.p_value == predictive_pvalue(summary_statistic(at_data[chosen], "max"), observed)


def test_a_misfit_gives_an_extreme_p_value(data_and_fit):
    """Is the sd of data from a much noisier process flagged (p near 0) by the posterior of the quiet fit?"""
    x, y, result = data_and_fit
    noisy = y + np.random.default_rng(0).normal(0, 3.0, y.shape)
    panel = PredictiveCheckPanel(x, noisy, fit=result, statistic="sd", num_draws=2000)
    assert panel.p_value < 0.01


def test_prior_check_needs_no_fit():
    """Does the prior check work before any fit, and the posterior one say a fit is missing?"""
    x, y = make_data(20)
    panel = PredictiveCheckPanel(x, y)
    assert "no fit yet" in panel.message
    panel.kind = "prior"
    assert panel.message == ""
    assert 0.0 <= panel.p_value <= 1.0


def test_statistic_and_draws_controls(data_and_fit, compile_counter):
    """Do the statistic, quantile and draws controls change the check without compiling?"""
    x, y, result = data_and_fit
    panel = PredictiveCheckPanel(x, y, fit=result)
    counter = compile_counter()
    values = set()
    for statistic in ("mean", "sd", "min", "max", "quantile"):
        panel.statistic_choice.value = statistic
        values.add(round(panel.p_value, 4))
    panel.quantile_slider.value = 0.1
    panel.draws_slider.value = 200
    assert marks_by_label(panel.statistic_figure)["T(replicated y)"].y.sum() / 2 == 200
    assert len(values) > 1
    assert (counter.traces, counter.compilations) == (0, 0)


def test_predictive_pvalue_counts_ties_half():
    """Is the p-value of a statistic equal to every replicate 0.5, and of one above all 0?"""
    assert predictive_pvalue([1.0, 1.0, 1.0], 1.0) == 0.5
    assert predictive_pvalue([1.0, 2.0, 3.0], 4.0) == 0.0
    assert predictive_pvalue([1.0, 2.0, 3.0, 4.0], 2.5) == 0.5


def test_code_line_runs_where_the_panel_was_made(data_and_fit):
    """Does the line name the caller's data and fit, and rebuild an equal panel when run in that namespace?"""
    x, y, result = data_and_fit
    namespace = {"PredictiveCheckPanel": PredictiveCheckPanel, "x_data": x, "y_data": y, "result": result}
    exec("panel = PredictiveCheckPanel(x_data, y_data, fit=result, statistic='sd', seed=2)", namespace)
    panel = namespace["panel"]
    assert panel.code.startswith("PredictiveCheckPanel(x_data, y_data, fit=result, kind='posterior'")
    rebuilt = eval(panel.code, namespace)
    assert (rebuilt.fit, rebuilt.statistic, rebuilt.seed) == (result, "sd", 2)
    assert rebuilt.code == panel.code and rebuilt.p_value == panel.p_value


def test_prior_check_code_line_without_names_rebuilds_the_same_check():
    """With data no name holds, does the prior check's line carry them and rebuild the same p-value?"""
    import numpyro.distributions as dist

    from widgets import Priors

    x, y = make_data(15, seed=6)
    panel = PredictiveCheckPanel(x[:12], y[:12], kind="prior", statistic="max")
    assert panel.code.startswith("PredictiveCheckPanel([")
    rebuilt = eval(panel.code, {"PredictiveCheckPanel": PredictiveCheckPanel, "Priors": Priors, "dist": dist})
    assert rebuilt.code == panel.code
    assert rebuilt.p_value == panel.p_value


@pytest.mark.parametrize(
    "move, message",
    [
        (lambda p: setattr(p, "num_draws", 1), "draws must be at least 2; got 1"),
        (lambda p: setattr(p.quantile_slider, "value", float("nan")), r"q must be in \[0, 1\]; got nan"),
        (lambda p: setattr(p, "y", np.full(80, np.nan)), "y must be finite; got nan at index 0"),
        (lambda p: setattr(p, "kind", "prior") or setattr(p, "x", [np.inf] * 80), "x must be finite"),
    ],
)
def test_bad_input_keeps_the_last_good_check(data_and_fit, move, message):
    """After a bad input: a message, the last good picture, and inputs, controls and code line put back?"""
    x, y, result = data_and_fit
    panel = PredictiveCheckPanel(x, y, fit=result, statistic="quantile", quantile=0.8)
    move(panel)
    assert re.search(message, panel.message), panel.message
    good = PredictiveCheckPanel(x, y, fit=result, statistic="quantile", quantile=0.8, kind=panel.kind)
    assert (panel.p_value, panel.code, panel.quantile, panel.num_draws) == (
        good.p_value,
        good.code,
        0.8,
        500,
    )
    assert panel.y is y and panel.x is x
    assert (panel.quantile_slider.value, panel.draws_slider.value) == (0.8, 500)
    np.testing.assert_array_equal(
        marks_by_label(panel.bands_figure)["95% of y_rep"].y,
        marks_by_label(good.bands_figure)["95% of y_rep"].y,
    )
    panel.statistic = "max"  # a later good change applies and clears the message
    assert panel.message == "" and "statistic='max'" in panel.code


def test_the_largest_seed_is_a_seed_like_any_other():
    """Seed 2**32 - 1 (the grid's draws use the next seed, wrapping to 0): no message, a p-value?"""
    x, y = make_data(12, seed=0)
    panel = PredictiveCheckPanel(x, y, kind="prior", statistic="max", seed=2**32 - 1)
    assert panel.message == "" and 0.0 <= panel.p_value <= 1.0
