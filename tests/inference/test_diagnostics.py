"""Diagnostics: divergences, R-hat and bulk ESS, and a verdict in words."""

from widgets.inference import Diagnostics, fit


def test_diagnostics_of_a_healthy_fit(fitted):
    """Does a healthy fit report no divergences, R-hat near 1, large ESS and a reassuring verdict?"""
    diag = fitted.diagnostics
    assert diag.divergences == int(fitted.sample_stats["diverging"].sum()) == 0
    assert 0.99 < diag.max_rhat < 1.01
    assert diag.min_ess_bulk > 400
    assert diag.ok and "No warning signs" in diag.verdict


def test_diagnostics_flag_too_few_draws(data80):
    """Does a very short run get a plain warning about ESS that says what to try?"""
    short = fit(*data80, num_warmup=20, num_samples=30, num_chains=2, seed=1)
    diag = short.diagnostics
    assert not diag.ok
    assert diag.min_ess_bulk < 400
    assert "Bulk ESS" in diag.verdict and "num_samples" in diag.verdict


def test_diagnostics_say_what_to_try_for_each_problem():
    """Does each warning sign give its own sentence, and no warning give the reassuring verdict?"""
    healthy = Diagnostics(divergences=0, max_rhat=1.0, min_ess_bulk=2000.0, warnings=())
    assert healthy.ok and healthy.verdict.startswith("No warning signs")
    sick = Diagnostics(divergences=3, max_rhat=1.2, min_ess_bulk=50.0, warnings=("A.", "B."))
    assert not sick.ok and sick.verdict == "A. B."
