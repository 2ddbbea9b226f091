"""RobustRegressionPanel: points dragged, added and removed re-fit both models; k colours; the LOO table."""

import html

import numpy as np
import pandas as pd
import pytest

from tests.conftest import marks_by_label
from widgets.inference import student_t_regression
from widgets.inference.comparison import comparison_table, high_k_points, loo
from widgets.inference.outliers import CAPACITY, data_with_outliers, fit_padded
from widgets.robust_panel import K_COLORS, RobustRegressionPanel, comparison_text

x_data, y_data, outliers = data_with_outliers(80, num_outliers=3, seed=0)


@pytest.fixture(scope="module")
def panel():
    return RobustRegressionPanel(x_data, y_data)


def _colors(panel):
    return np.array(panel.points.colors)


def _send(panel, x, y):
    """What the browser sends when a point is let go, added or removed: the scatter's x and y, together."""
    with panel.points.hold_trait_notifications():
        panel.points.x, panel.points.y = x, y


def _move(panel, index, dy):
    y = np.array(panel.points.y)
    y[index] += dy
    _send(panel, panel.points.x, y)


def test_the_table_is_arvizs_comparison_of_the_two_fits(panel):
    """Is the table az.compare's of the panel's own fits, Student-t first on data with outliers?"""
    assert panel.message == ""
    expected = comparison_table({name: loo(fit) for name, fit in panel.fits.items()})
    np.testing.assert_allclose(panel.table.to_numpy(float), expected.to_numpy(float))
    assert list(panel.table.index) == ["student_t", "normal"]
    for column in ("elpd_loo", "se", "elpd_diff", "dse", "weight"):
        assert column in panel.table_html.value
    assert f"{panel.table.loc['normal', 'elpd_diff']:.2f}" in panel.table_html.value


def test_the_readout_says_the_comparison_of_the_panels_own_table(panel):
    """On data with outliers: Student-t ahead by more than 2 dse, and the Normal model's LOO flagged."""
    readout = html.unescape(panel._readout.value)
    assert comparison_text(panel.table) in readout
    diff, dse = panel.table.loc["normal", "elpd_diff"], panel.table.loc["normal", "dse"]
    assert diff > 2 * dse
    assert readout.startswith(f"Student-t predicts left-out points better: elpd_diff = {diff:.1f}")
    assert "The Normal LOO has a Pareto k above good_k" in readout


def _table(diff, dse, warnings=(False, False)):
    """A comparison table of the two models, Student-t first, with the given margin."""
    return pd.DataFrame(
        {"elpd_diff": [0.0, diff], "dse": [0.0, dse], "warning": list(warnings)},
        index=["student_t", "normal"],
    )


@pytest.mark.parametrize(
    "diff, dse, words",
    [
        (3.0, 1.0, "Student-t predicts left-out points better: elpd_diff = 3.0 is 3.0 times"),
        (1.5, 1.0, "No clear winner: Student-t leads by elpd_diff = 1.5, only 1.5 times"),
        (0.0, 0.0, "No clear winner: both models score every point alike"),
    ],
)
def test_a_lead_counts_only_beyond_twice_its_standard_error(diff, dse, words):
    """Is a margin under 2 dse (or none at all) told as no clear winner, and never 'inf times'?"""
    text = comparison_text(_table(diff, dse))
    assert text.startswith(words) and "inf" not in text and "Pareto" not in text


def test_every_model_whose_loo_is_flagged_is_named():
    """Are the models whose LOO carries ArviZ's warning named, in the table's order?"""
    both = comparison_text(_table(3.0, 1.0, warnings=(True, True)))
    assert both.endswith(
        "The Student-t and Normal LOOs have a Pareto k above good_k: their elpd, and this comparison, "
        "are not fully reliable."
    )


def test_points_are_coloured_by_the_normal_models_pareto_k(panel):
    """Are exactly the points with the Normal model's k above good_k vermillion, and are they outliers?"""
    high = high_k_points(panel.scores["normal"])
    assert panel.high_k["normal"] == tuple(high) and high.size >= 1 and set(high) <= set(outliers)
    assert panel.good_k == float(panel.scores["normal"]["good_k"])
    colors = _colors(panel)
    assert colors.size == 80
    assert set(np.flatnonzero(colors == K_COLORS["high"])) == set(high)
    assert np.all(colors[np.setdiff1d(np.arange(80), high)] == K_COLORS["ok"])


def test_lines_and_bands_follow_each_models_posterior(panel):
    """Is each mean line the posterior mean of a*x + b, inside its 94% band?"""
    marks = marks_by_label(panel.figure)
    for name, title in (("normal", "Normal"), ("student_t", "Student-t")):
        line, band = marks[f"{title} mean line"], marks[f"{title} 94% band"]
        fit = panel.fits[name]
        expected = fit.samples["a"].mean() * line.x + fit.samples["b"].mean()
        np.testing.assert_allclose(line.y, expected, rtol=1e-4, atol=1e-4)
        assert np.all(band.y[0] < line.y) and np.all(line.y < band.y[1])


def test_the_code_line_names_the_data_it_was_given(panel):
    assert panel.code.startswith("RobustRegressionPanel(x_data, y_data, k_model='normal'")
    assert repr(panel) == panel.code


def test_switching_k_model_recolours_without_refitting(panel):
    fits = panel.fits
    panel.k_model = "student_t"
    try:
        assert panel.fits is fits
        assert np.all(_colors(panel)[list(panel.high_k["student_t"])] == K_COLORS["high"])
        assert (_colors(panel) == K_COLORS["high"]).sum() == len(panel.high_k["student_t"])
    finally:
        panel.k_model = "normal"


def test_the_mouse_mode_sets_the_scatters_interactions(panel):
    for mode, move, interactions in (
        ("add", False, {"click": "add"}),
        ("remove", False, {"click": "delete"}),
        ("drag", True, {}),
    ):
        panel.mode_buttons.value = mode
        assert panel.points.enable_move is move and panel.points.interactions == interactions


def test_a_dragged_point_refits_both_models_without_compiling(compile_counter):
    """Does dragging a well-fitting point far away re-fit with no trace or compile, and flag it high k?"""
    panel = RobustRegressionPanel(x_data, y_data)
    before, fits = panel.table.copy(), panel.fits
    good = int(np.setdiff1d(np.arange(80), outliers)[0])
    counter = compile_counter()
    _move(panel, good, 8.0)
    assert (counter.traces, counter.compilations) == (0, 0)
    assert panel.message == "" and panel.fits is not fits
    assert panel.y[good] == pytest.approx(y_data[good] + 8.0)
    assert good in panel.high_k["normal"] and _colors(panel)[good] == K_COLORS["high"]
    assert panel.table.loc["normal", "elpd_loo"] < before.loc["normal", "elpd_loo"]
    assert panel.progress.value == 1.0
    # Once moved, the data are no longer the variables it was given: the code line writes them out.
    assert panel.code.startswith("RobustRegressionPanel([") and "x_data" not in panel.code


def test_a_drag_refits_with_the_draws_of_fit_padded():
    """Are a drag's re-fits, draw for draw and LOO for LOO, those of fit_padded of each model alone?"""
    panel = RobustRegressionPanel(x_data[:30], y_data[:30], num_samples=200, seed=3)
    _move(panel, 4, 2.0)
    assert panel.message == ""
    for name, model in (("normal", panel.fits["normal"].model), ("student_t", student_t_regression)):
        alone = fit_padded(panel.x, panel.y, model=model, num_samples=200, seed=3)
        for site, draws in alone.samples.items():
            np.testing.assert_array_equal(panel.fits[name].samples[site], draws, err_msg=f"{name} {site}")
        expected = loo(alone)
        assert float(panel.scores[name]["elpd_loo"]) == float(expected["elpd_loo"])


def test_a_panel_after_the_lessons_fit_padded_compiles_nothing(compile_counter):
    """After a lesson's own fit_padded of both models (80 points), does a panel of 40 others compile nothing?

    So lesson 3 compiles one NUTS sampler per model, not two.
    """
    fit_padded(x_data, y_data, num_samples=100, seed=0)
    fit_padded(x_data, y_data, model=student_t_regression, num_samples=100, seed=0)
    counter = compile_counter()
    panel = RobustRegressionPanel(x_data[:40] + 0.1, y_data[:40], num_samples=200)
    assert panel.message == "" and panel.scores["normal"]["n_data_points"] == 40
    assert (counter.traces, counter.compilations) == (0, 0)


def test_points_added_and_removed_refit_without_compiling(compile_counter):
    panel = RobustRegressionPanel(x_data[:20], y_data[:20], num_samples=200)
    counter = compile_counter()
    _send(panel, np.append(panel.points.x, 0.5), np.append(panel.points.y, 0.25))
    assert panel.message == "" and panel.scores["normal"]["n_data_points"] == 21
    _send(panel, panel.points.x[1:], panel.points.y[1:])
    assert panel.message == "" and panel.scores["student_t"]["n_data_points"] == 20
    assert (counter.traces, counter.compilations) == (0, 0)
    assert len(panel.points.colors) == 20


def test_the_code_line_rebuilds_the_panel():
    """Does the copied code line, run, give a panel with the same data and scores?"""
    panel = RobustRegressionPanel(x_data[:20], y_data[:20], num_samples=200, seed=3)
    _move(panel, 4, 2.0)
    rebuilt = eval(panel.code, {"RobustRegressionPanel": RobustRegressionPanel})
    np.testing.assert_array_equal(np.asarray(rebuilt.y, np.float32), np.asarray(panel.y, np.float32))
    assert rebuilt.seed == 3 and rebuilt.num_samples == 200
    np.testing.assert_allclose(rebuilt.table.to_numpy(float), panel.table.to_numpy(float))


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"y": np.where(np.arange(20) == 3, np.nan, y_data[:20])}, "finite"),
        ({"x": x_data[:19]}, "same length"),
        ({"points": (x_data[:1], y_data[:1])}, "at least 2 points"),
        ({"points": (np.zeros(CAPACITY + 1), np.zeros(CAPACITY + 1))}, f"at most {CAPACITY}"),
        ({"num_samples": 0}, "num_samples must be an integer in [1, "),
        ({"num_chains": 0}, "num_chains must be an integer >= 1"),
        ({"seed": -1}, "seed must be an integer in [0, 2**32)"),
    ],
)
def test_bad_data_keep_the_last_good_state(bad, words):
    """Do bad data or run settings, from code or the browser, leave the fits, table and points alone?"""
    panel = RobustRegressionPanel(x_data[:20], y_data[:20], num_samples=200)
    settings = {name: getattr(panel, name) for name in ("num_samples", "num_chains", "seed")}
    table, fits, points = panel.table.copy(), panel.fits, np.array(panel.points.y)
    for name, value in bad.items():
        if name == "points":
            _send(panel, *value)
        else:
            setattr(panel, name, value)
    assert words in panel.message
    assert panel.fits is fits and panel.table.equals(table)
    np.testing.assert_array_equal(panel.y, y_data[:20])
    np.testing.assert_array_equal(panel.points.y, points)
    assert {name: getattr(panel, name) for name in settings} == settings
    # A good move afterwards is taken, and clears the message.
    _move(panel, 0, 0.5)
    assert panel.message == ""


def test_every_point_removed_in_the_browser_puts_them_back():
    panel = RobustRegressionPanel(x_data[:20], y_data[:20], num_samples=200)
    fits = panel.fits
    _send(panel, np.zeros(0), np.zeros(0))
    assert "empty" in panel.message and panel.fits is fits
    np.testing.assert_array_equal(panel.points.y, np.asarray(y_data[:20], np.float32))
