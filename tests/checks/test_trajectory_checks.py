"""Lesson 5's checks: a non-centered eight schools by the reference's draws, a diverging NUTS transition."""

import numpyro
import numpyro.distributions as dist
import pytest

from widgets.checks._check import Context
from widgets.checks.trajectories import diverging_trajectory, same_schools_draws
from widgets.grading import compare
from widgets.inference import EIGHT_SCHOOLS, eight_schools, eight_schools_noncentered, fit_model
from widgets.inference.trajectory import record_trajectory, start_near
from widgets.trajectory_panel import TrajectoryPanel

SEEDS = range(12)


def _schools(tau_prior):
    """A non-centered eight schools written out by hand, with `tau_prior` for tau."""

    def model(J, sigma, y=None):
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", tau_prior)
        with numpyro.plate("schools", J):
            effect = numpyro.sample("effect", dist.Normal(0.0, 1.0))
            theta = numpyro.deterministic("theta", mu + tau * effect)
            numpyro.sample("y", dist.Normal(theta, sigma), obs=y)

    return model


def _no_theta(J, sigma, y=None):
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("schools", J):
        effect = numpyro.sample("effect", dist.Normal(0.0, 1.0))
        numpyro.sample("y", dist.Normal(mu + tau * effect, sigma), obs=y)


# -- same_schools_draws ----------------------------------------------------


@pytest.mark.parametrize("challenge", [0, 17, 41])
def test_a_hand_written_non_centered_model_passes_on_every_challenge(challenge):
    check = same_schools_draws(eight_schools_noncentered)
    result = check(_schools(dist.HalfCauchy(5.0)), Context(challenge=challenge))
    assert result.passed, result.reason
    data = check.data(_schools(dist.HalfCauchy(5.0)), Context(challenge=challenge))
    assert compare.verdict(data["check"], data["answer"], data["reference"])[0]


def test_the_centered_model_fails_for_sampling_theta_itself():
    """Same theta from the same keys, but NUTS would move in theta: is that the reason and the hint?"""
    result = same_schools_draws(eight_schools_noncentered)(eight_schools, Context(challenge=3))
    assert result.passed is False
    assert "sampled effects" in result.reason and "standard normal effect" in result.hint


def test_another_prior_for_tau_fails_naming_tau():
    result = same_schools_draws(eight_schools_noncentered)(_schools(dist.HalfNormal(5.0)))
    assert result.passed is False
    assert "draws of tau differ" in result.reason and "tau" in result.hint


def test_a_model_without_theta_recorded_fails_naming_the_sites():
    result = same_schools_draws(eight_schools_noncentered)(_no_theta)
    assert result.passed is False
    assert "expected the sample sites" in result.reason and "numpyro.deterministic" in result.hint


@pytest.mark.parametrize(
    "answer, words",
    [
        (3.0, "expected a model function model(J, sigma, y=None); got float"),
        (lambda x, y=None: None, "unexpected keyword argument 'J'"),
    ],
)
def test_what_is_not_a_schools_model_is_refused_saying_why(answer, words):
    result = same_schools_draws(eight_schools_noncentered)(answer)
    assert result.passed is False and words in result.reason


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"model": "eight_schools"}, "model must be a model function"),
        ({"model": eight_schools_noncentered, "sites": ()}, "sites must be a non-empty sequence"),
        ({"model": eight_schools_noncentered, "sites": "mu"}, "sites must be a non-empty sequence"),
        ({"model": eight_schools_noncentered, "num_samples": 0}, "num_samples must be a whole number >= 1"),
    ],
)
def test_same_schools_draws_refuses_bad_arguments_when_written(arguments, words):
    with pytest.raises(ValueError, match=words):
        same_schools_draws(**arguments)


# -- diverging_trajectory --------------------------------------------------


@pytest.fixture(scope="module")
def fit_centered():
    """The centered eight schools, 4 chains x 1000 draws, seed 0: it has divergences."""
    return fit_model(eight_schools, EIGHT_SCHOOLS, seed=0)


@pytest.fixture(scope="module")
def panels(fit_centered):
    """Panels from the funnel's neck and from its mouth, over seeds, by whether they diverged."""
    found = {True: [], False: []}
    for start in ((0.0, -4.0), (5.0, 1.5)):
        for seed in SEEDS:
            panel = TrajectoryPanel(fit_centered, x="theta[0]", y="log tau", start=start, seed=seed)
            found[panel.diverging].append(panel)
    assert found[True] and found[False]
    return found


def _diverges(panel):
    """Whether the panel's transition diverges, recorded again here from its start, seed and chain."""
    start = start_near(panel.fit, {panel.x: panel.start[0], panel.y: panel.start[1]})
    return record_trajectory(panel.fit, start, chain=panel.chain, seed=panel.seed).diverging


def test_a_panel_whose_transition_diverges_passes(panels, fit_centered):
    check, ctx = diverging_trajectory("fit_centered"), Context(namespace={"fit_centered": fit_centered})
    for panel in panels[True]:
        assert _diverges(panel)
        result = check(panel, ctx)
        assert result.passed, result.reason
        data = check.data(panel, ctx)
        assert compare.verdict(data["check"], data["answer"], data["reference"])[0]


def test_a_calm_transition_fails_with_the_hint_to_click_into_the_neck(panels, fit_centered):
    check, ctx = diverging_trajectory("fit_centered"), Context(namespace={"fit_centered": fit_centered})
    for panel in panels[False][:3]:
        assert not _diverges(panel)
        result = check(panel, ctx)
        assert result.passed is False
        assert "further from the expected" in result.reason and "funnel's neck" in result.hint


def test_a_panel_of_another_fit_is_refused(panels):
    """Does a panel replaying another model than the notebook's fit_centered fail, saying which fit?"""
    other = fit_model(eight_schools_noncentered, EIGHT_SCHOOLS, num_samples=200, num_chains=1, seed=0)
    result = diverging_trajectory("fit_centered")(panels[True][0], Context(namespace={"fit_centered": other}))
    assert result.passed is False and "must replay fit_centered" in result.reason


@pytest.mark.parametrize("answer", ["TrajectoryPanel(fit_centered)", None, 1.0])
def test_what_is_not_a_panel_is_refused_saying_so(answer):
    result = diverging_trajectory("fit_centered")(answer)
    assert result.passed is False and "must be the TrajectoryPanel's code line" in result.reason


@pytest.mark.parametrize("name", ["", "fit centered", 3])
def test_diverging_trajectory_refuses_a_fit_that_is_not_a_name(name):
    with pytest.raises(ValueError, match="fit must be the notebook's name of the fit"):
        diverging_trajectory(name)
