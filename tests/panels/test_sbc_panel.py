"""SBCPanel from Python: a run draws ranks and band, redraws without fitting, refuses bad settings, stops."""

import numpy as np
import pytest

from tests.conftest import marks_by_label
from widgets.inference import linear_regression
from widgets.sbc_panel import CHUNK_SIZE, SBCPanel

X = np.linspace(-2.0, 2.0, 20)


def regression_simulator(rng, x):
    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}


@pytest.fixture(scope="module")
def ran():
    data = {"x": X}
    panel = SBCPanel(linear_regression, regression_simulator, data, num_simulations=CHUNK_SIZE, seed=1)
    panel.run()
    return panel


def test_is_the_panel_one_line_of_code_that_names_what_it_was_given():
    data = {"x": X}
    panel = SBCPanel(linear_regression, regression_simulator, data, thin=5)
    assert panel.code == (
        "SBCPanel(linear_regression, regression_simulator, data, num_simulations=100, thin=5, seed=0)"
    )
    assert repr(panel) == panel.code
    panel.seed = 7
    assert panel.code.endswith("seed=7)")


def test_does_a_run_draw_every_fit_in_the_histogram_and_the_ecdf_difference_in_its_band(ran):
    assert ran.message == "" and ran.result is not None and not ran.running
    assert ran.parameter == "a" and list(ran.parameter_choice.options) == ["a", "b", "sigma"]
    assert ran.progress.value == 1.0 and ran.status_label.value == "done"
    assert ran._bars.y.sum() == CHUNK_SIZE
    lines = marks_by_label(ran.ecdf_figure)
    curve = ran.result.ecdf_difference("a")
    np.testing.assert_allclose(lines["ECDF difference"].y[1:], curve["difference"])
    np.testing.assert_allclose(lines["95% simultaneous band"].y[0][1:], curve["lower"])
    assert "with divergences" in ran.diagnostics_area.value
    assert ran.verdict == ran.result.verdict and ran.verdict.startswith(f"{CHUNK_SIZE} simulations")


def test_does_choosing_another_parameter_redraw_without_fitting(ran, compile_counter):
    result, counter = ran.result, compile_counter()
    ran.parameter_choice.value = "sigma"
    assert ran.parameter == "sigma" and ran.result is result
    drawn = marks_by_label(ran.ecdf_figure)["ECDF difference"].y[1:]
    np.testing.assert_allclose(drawn, result.ecdf_difference("sigma")["difference"])
    assert counter.traces == 0 and counter.compilations == 0


def test_does_a_new_run_with_other_settings_compile_nothing(ran, compile_counter):
    counter = compile_counter()
    ran.num_simulations, ran.thin, ran.seed = 30, 4, 11
    ran.run()
    assert counter.compilations == 0
    assert ran.result.num_simulations == 30 and ran.result.thin == 4


@pytest.mark.parametrize("name, value", [("num_simulations", 0), ("thin", 1001), ("seed", -1)])
def test_is_a_bad_setting_refused_keeping_the_last_good_one(name, value):
    panel = SBCPanel(linear_regression, regression_simulator, {"x": X})
    old = getattr(panel, name)
    setattr(panel, name, value)
    assert getattr(panel, name) == old
    assert panel.message.startswith(f"{name} must be in [")
    assert f"got {value:,}" in panel.message


def test_does_stop_end_the_run_after_the_first_chunk_and_keep_it(ran):
    ran.num_simulations, ran.seed = 3 * CHUNK_SIZE, 2
    ran.start()
    ran.stop()
    ran.wait(600)
    assert not ran.running and ran.result.stopped
    assert ran.result.num_simulations == CHUNK_SIZE and ran.status_label.value == "stopped"
    assert not ran.run_button.disabled and ran.stop_button.disabled


def test_is_a_panel_without_a_simulator_refused():
    with pytest.raises(ValueError, match="needs a model, a simulator"):
        SBCPanel(linear_regression, None, {"x": X})
