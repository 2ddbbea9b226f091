"""The kit's models: their sample sites, how they use their priors, and the eight schools' data."""

import jax
import numpy as np
import numpyro.distributions as dist
from numpyro import handlers

from widgets.inference import (
    EIGHT_SCHOOLS,
    NU_PRIOR,
    Priors,
    eight_schools,
    eight_schools_noncentered,
    linear_regression,
    student_t_regression,
)


def trace(x, y=None, **kwargs):
    """The model's trace for one seeded run."""
    return handlers.trace(handlers.seed(linear_regression, jax.random.PRNGKey(0))).get_trace(x, y, **kwargs)


def test_sites_are_a_b_sigma_and_y():
    """Does the model sample a, b and sigma once each and y once per x?"""
    x = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    sites = {name: site for name, site in trace(x).items() if site["type"] == "sample"}
    assert set(sites) == {"a", "b", "sigma", "y"}
    assert all(np.shape(sites[name]["value"]) == () for name in ("a", "b", "sigma"))
    assert np.shape(sites["y"]["value"]) == (7,)
    assert not sites["y"]["is_observed"]


def test_y_is_observed_when_given():
    """Is y an observed site holding the given values?"""
    x = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    site = trace(x, 2.0 * x)["y"]
    assert site["is_observed"]
    np.testing.assert_array_equal(site["value"], 2.0 * x)


def test_y_is_normal_around_the_line():
    """Is y ~ Normal(a*x + b, sigma) with the sampled a, b and sigma?"""
    x = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    tr = trace(x)
    a, b, sigma = (tr[name]["value"] for name in ("a", "b", "sigma"))
    y = tr["y"]["fn"]
    np.testing.assert_allclose(y.mean, a * x + b, rtol=1e-6)
    np.testing.assert_allclose(y.scale, sigma)


def test_the_given_priors_are_used():
    """With priors=..., are a, b and sigma drawn from those distributions?"""
    priors = Priors(a=dist.Normal(5.0, 0.1), sigma=dist.Exponential(2.0))
    tr = trace(np.zeros(3, np.float32), priors=priors)
    assert isinstance(tr["a"]["fn"], dist.Normal) and float(tr["a"]["fn"].loc) == 5.0
    assert isinstance(tr["sigma"]["fn"], dist.Exponential)


def seeded_trace(model, **data):
    """`model`'s trace for one seeded run on named data."""
    return handlers.trace(handlers.seed(model, jax.random.PRNGKey(1))).get_trace(**data)


def test_eight_schools_data_are_the_classic_eight():
    """Are the eight schools' data J = 8 effects y with their standard errors sigma, as in Rubin (1981)?"""
    assert EIGHT_SCHOOLS["J"] == 8
    np.testing.assert_array_equal(EIGHT_SCHOOLS["y"], [28, 8, -3, 7, -1, 1, 18, 12])
    np.testing.assert_array_equal(EIGHT_SCHOOLS["sigma"], [15, 10, 16, 11, 9, 11, 10, 18])


def test_eight_schools_centered_samples_theta_around_mu():
    """Does the centered model draw mu, tau, theta ~ Normal(mu, tau) and observe y ~ Normal(theta, sigma)?"""
    tr = seeded_trace(eight_schools, **EIGHT_SCHOOLS)
    latent = {name for name, site in tr.items() if site["type"] == "sample" and not site["is_observed"]}
    assert latent == {"mu", "tau", "theta"}
    assert np.shape(tr["theta"]["value"]) == (8,)
    theta = tr["theta"]["fn"]  # expanded to the plate
    np.testing.assert_allclose(theta.mean, np.full(8, tr["mu"]["value"]), rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(theta.variance), np.full(8, tr["tau"]["value"]), rtol=1e-6)
    assert tr["y"]["is_observed"]
    np.testing.assert_allclose(tr["y"]["fn"].mean, tr["theta"]["value"], rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(tr["y"]["fn"].variance), EIGHT_SCHOOLS["sigma"], rtol=1e-6)


def test_eight_schools_noncentered_samples_standard_normal_offsets():
    """Does the non-centered model sample theta_decentered ~ Normal(0, 1) and set theta = mu + tau * it?"""
    tr = seeded_trace(eight_schools_noncentered, **EIGHT_SCHOOLS)
    latent = {name for name, site in tr.items() if site["type"] == "sample" and not site["is_observed"]}
    assert latent == {"mu", "tau", "theta_decentered"}
    offsets = tr["theta_decentered"]
    assert np.shape(offsets["value"]) == (8,)
    np.testing.assert_allclose(offsets["fn"].mean, np.zeros(8))
    np.testing.assert_allclose(offsets["fn"].variance, np.ones(8))
    assert tr["theta"]["type"] == "deterministic"
    expected = tr["mu"]["value"] + tr["tau"]["value"] * offsets["value"]
    np.testing.assert_allclose(tr["theta"]["value"], expected, rtol=1e-5)


def test_student_t_regression_has_a_prior_on_nu():
    """Does the robust regression sample nu from NU_PRIOR and observe y ~ StudentT(nu, a*x + b, sigma)?"""
    x = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    tr = seeded_trace(student_t_regression, x=x, y=2.0 * x)
    nu_prior = tr["nu"]["fn"]
    assert isinstance(nu_prior, dist.Gamma) and isinstance(NU_PRIOR, dist.Gamma)
    np.testing.assert_allclose(
        (nu_prior.concentration, nu_prior.rate), (NU_PRIOR.concentration, NU_PRIOR.rate)
    )
    np.testing.assert_allclose((NU_PRIOR.concentration, NU_PRIOR.rate), (2.0, 0.1))
    y = tr["y"]["fn"]
    assert isinstance(y, dist.StudentT) and tr["y"]["is_observed"]
    a, b, sigma, nu = (tr[name]["value"] for name in ("a", "b", "sigma", "nu"))
    np.testing.assert_allclose(y.loc, a * x + b, rtol=1e-6)
    np.testing.assert_allclose(y.scale, sigma)
    np.testing.assert_allclose(y.df, nu)
