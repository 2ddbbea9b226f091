"""FitPanel: the Fit button, progress, summary, true values, warnings and staleness."""

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data, marks_by_label
from widgets import FitPanel, Priors, SimulationPanel, inference
from widgets.fit_panel import COMPILING


@pytest.fixture(scope="module")
def fitted_panel():
    sim = SimulationPanel(n=80, seed=3)
    panel = FitPanel(sim.x, sim.y, true_values={"a": sim.a, "b": sim.b, "sigma": sim.sigma})
    panel.fit_button.click()
    panel.wait(timeout=300)
    return panel


def test_fit_button_runs_in_the_background_and_finishes(fitted_panel):
    """Does pressing Fit run a fit to the end, with the progress bar full and no error?"""
    assert fitted_panel.fit is not None
    assert fitted_panel.message == ""
    assert fitted_panel.progress.value == 1.0
    assert not fitted_panel.running and not fitted_panel.fit_button.disabled


def test_true_values_inside_the_94_percent_hdi(fitted_panel):
    """Does a fit on simulated data put the true a, b and sigma inside the 94% HDI shown?"""
    table = fitted_panel.fit.summary()
    for name, true in fitted_panel.true_values.items():
        assert table.loc[name, "hdi_3%"] < true < table.loc[name, "hdi_97%"], (name, true)
    for name in ("a", "b", "sigma", "ess_bulk", "r_hat", "hdi_3%"):
        assert name in fitted_panel.summary_table.value


def test_densities_and_reference_lines_are_plotted(fitted_panel):
    """Is each posterior density drawn around its posterior mean, with the true value as a vertical line?"""
    for name, true in fitted_panel.true_values.items():
        marks = marks_by_label(fitted_panel.density_figures[name])
        density = marks["posterior density"]
        mean = fitted_panel.fit.samples[name].mean()
        assert density.x[np.argmax(density.y)] == pytest.approx(
            mean, abs=4 * float(fitted_panel.fit.samples[name].std())
        )
        np.testing.assert_allclose(marks["true value"].x.ravel(), [true, true])


def test_healthy_fit_says_so(fitted_panel):
    """Does a long healthy run get the reassuring verdict?"""
    assert "No warning signs" in fitted_panel.verdict


def test_short_run_warns_in_plain_language():
    """Does a 20 + 30 iteration run warn about R-hat or ESS and say what to try?"""
    x, y = make_data(40, seed=2)
    panel = FitPanel(x, y, num_warmup=20, num_samples=30, num_chains=2)
    panel.run()
    assert "ESS" in panel.verdict and "num_samples" in panel.verdict


def test_changing_priors_or_data_marks_the_fit_stale(fitted_panel):
    """Do new priors mark the fit stale visibly, and does a new fit clear it?"""
    x, y = make_data(30, seed=5)
    panel = FitPanel(x, y, num_warmup=100, num_samples=100)
    panel.run()
    assert not panel.stale
    panel.priors = Priors(a=dist.Normal(0.0, 1.0))
    assert panel.stale and "stale" in panel.stale_notice.text
    panel.run()
    assert not panel.stale and panel.stale_notice.text == ""
    panel.y = y + 1.0
    assert panel.stale


def test_fit_without_data_says_what_is_missing():
    """Does pressing Fit with no data show a message instead of failing?"""
    panel = FitPanel()
    panel.run()
    assert "no data yet" in panel.message
    assert panel.fit is None


def test_bad_data_shows_the_inference_message():
    """Do data with NaN show inference's own message in the panel?"""
    x, y = make_data(10)
    y[3] = np.nan
    panel = FitPanel(x, y)
    panel.run()
    assert "y must be finite; got nan at index 3" in panel.message


def test_code_line_rebuilds_the_settings():
    """Does the code line rebuild a panel with the same priors and settings?"""
    x, y = make_data(10)
    panel = FitPanel(x, y, priors=Priors(b=dist.Normal(1.0, 0.5)), num_samples=300, seed=7)
    rebuilt = eval(panel.code, {"FitPanel": FitPanel, "Priors": Priors, "dist": dist, "x": x, "y": y})
    assert rebuilt.code == panel.code
    assert (rebuilt.priors, rebuilt.num_samples, rebuilt.seed) == (panel.priors, 300, 7)


def test_run_length_boxes_offer_what_one_compiled_sampler_serves():
    """Do the warmup and samples boxes range over exactly the run lengths that re-fit without compiling?"""
    panel = FitPanel()
    assert (panel.settings["num_warmup"].min, panel.settings["num_warmup"].max) == (
        0,
        inference.MAX_NUM_WARMUP,
    )
    assert (panel.settings["num_samples"].min, panel.settings["num_samples"].max) == (
        1,
        inference.MAX_NUM_SAMPLES,
    )


def test_a_run_length_out_of_range_keeps_the_last_good_one_and_says_why():
    """Is samples=20000 refused, saying the allowed range and keeping the last good value till a good one?"""
    x, y = make_data(10)
    panel = FitPanel(x, y, num_samples=300)
    panel.num_samples = 20_000
    assert panel.num_samples == 300 and panel.settings["num_samples"].value == 300
    assert "num_samples must be in [1, 10,000]" in panel.message and "Kept 300" in panel.message
    panel.num_samples = 200
    assert panel.num_samples == 200 and panel.message == ""
    built = FitPanel(x, y, num_warmup=-1)
    assert built.num_warmup == 500 and "num_warmup must be in [0, 10,000]" in built.message


def test_new_samples_and_warmup_refit_without_compiling_and_the_panel_says_so(compile_counter):
    """Lowering samples step by step (lesson 1's exercise), does no re-fit compile, or claim to?

    Only the first fit of a new data length compiles, and only it says so.
    """
    x, y = make_data(41, seed=6)  # a data length no other test fits
    panel = FitPanel(x, y, num_warmup=200, num_samples=400)
    said = []
    panel.status_label.observe(lambda change: said.append(change["new"]), names="value")
    counter = compile_counter()
    panel.run()
    assert counter.compilations > 0 and COMPILING in said
    for name, value in [
        ("num_samples", 300),
        ("num_samples", 200),
        ("num_samples", 100),
        ("num_warmup", 300),
    ]:
        said.clear()
        counter = compile_counter()
        setattr(panel, name, value)
        panel.run()
        assert (counter.traces, counter.compilations) == (0, 0), (name, value)
        assert COMPILING not in said and said[-1] == "done", said
        assert panel.fit.samples["a"].shape == (4, panel.num_samples) and panel.message == ""


def test_empty_axes_have_no_tick_labels_until_a_fit(fitted_panel):
    """Are the x tick labels hidden before the first fit (no -0.0041 ... 1), and shown after it?"""
    empty = FitPanel()
    assert all(
        figure.axes[0].tick_style.get("display") == "none" for figure in empty.density_figures.values()
    )
    shown = [figure.axes[0].tick_style.get("display") for figure in fitted_panel.density_figures.values()]
    assert shown == ["inline"] * 3


def test_code_line_names_the_data_as_the_caller_does():
    """Does FitPanel(x_data, y_data) made in a notebook namespace give a line that, run there, rebuilds it?"""
    x, y = make_data(12)
    namespace = {"FitPanel": FitPanel, "Priors": Priors, "dist": dist, "x_data": x, "y_data": y}
    exec(
        "panel = FitPanel(x_data, y_data, priors=Priors(a=dist.Normal(0.0, 1.0)), num_samples=300)", namespace
    )
    panel = namespace["panel"]
    assert panel.code.startswith("FitPanel(x_data, y_data, priors=Priors(a=dist.Normal(loc=0.0, scale=1.0)")
    rebuilt = eval(panel.code, namespace)
    assert rebuilt.x is x and rebuilt.y is y
    assert (rebuilt.code, rebuilt.priors, rebuilt.num_samples) == (panel.code, panel.priors, 300)


def test_code_line_names_a_functions_local_data():
    """Are a function's local names found (before the module's globals), as in a helper?"""

    def make_panel():
        xs, ys = make_data(6, seed=4)
        return FitPanel(xs, ys), xs

    panel, xs = make_panel()
    assert panel.code.startswith("FitPanel(xs, ys, ")


def test_code_line_writes_out_data_no_name_holds():
    """With no name for the data (or new data set later), does the line carry the numbers and rebuild?"""
    x, y = make_data(7, seed=3)
    panel = FitPanel(x[:5], y[:5].astype(np.float32))  # slices: objects no name holds
    assert "FitPanel([" in panel.code
    rebuilt = eval(panel.code, {"FitPanel": FitPanel, "Priors": Priors, "dist": dist})
    np.testing.assert_array_equal(np.asarray(rebuilt.x), x[:5])
    np.testing.assert_array_equal(np.asarray(rebuilt.y, np.float32), y[:5].astype(np.float32))
    assert rebuilt.code == panel.code

    named = FitPanel(x, y)
    assert named.code.startswith("FitPanel(x, y, ")
    named.y = y + 1.0
    assert named.code.startswith("FitPanel(x, [")
    rebuilt = eval(named.code, {"FitPanel": FitPanel, "Priors": Priors, "dist": dist, "x": x})
    np.testing.assert_array_equal(np.asarray(rebuilt.y), y + 1.0)
