"""linear_regression: the tutorial's model, its sample sites and how it uses the priors."""

import jax
import numpy as np
import numpyro.distributions as dist
from numpyro import handlers

from widgets.inference import Priors, linear_regression


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
