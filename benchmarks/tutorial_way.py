"""The tutorial's way of doing each step, as its code does it, for comparison.

A fresh ``Predictive`` per update and a fresh ``MCMC`` per fit, with the
tutorial's four chains run in parallel on host devices.
"""

import jax.numpy as jnp
import jax.random as jr
import numpyro
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS, Predictive


def linear_regression_model(x, y=None, a_scale=2.0, b_scale=2.0, sigma_scale=1.0):
    """The tutorial's model, with its prior scales as arguments so they can move."""
    a = numpyro.sample("a", dist.Normal(0.0, a_scale))
    b = numpyro.sample("b", dist.Normal(0.0, b_scale))
    sigma = numpyro.sample("sigma", dist.HalfNormal(sigma_scale))
    mu = a * x + b
    numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


def prior_predictive(x, a_scale, seed):
    return Predictive(linear_regression_model, num_samples=100)(jr.PRNGKey(seed), x=x, a_scale=a_scale)


def simulate(x, a, b, sigma, seed):
    params = {"a": jnp.array(a), "b": jnp.array(b), "sigma": jnp.array(sigma)}
    predictive = Predictive(linear_regression_model, num_samples=1, params=params)
    return predictive(jr.PRNGKey(seed), x=x)["y"][0]


def fit(x, y, seed, num_warmup=500, num_samples=1000):
    mcmc = MCMC(
        NUTS(linear_regression_model),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=4,
        progress_bar=False,
    )
    mcmc.run(jr.PRNGKey(seed), x=x, y=y)
    return mcmc.get_samples(group_by_chain=False)


def posterior_predictive(posterior, x, seed):
    predictive = Predictive(linear_regression_model, posterior_samples=posterior, num_samples=4000)
    return predictive(jr.PRNGKey(seed), x=x)["y"]
