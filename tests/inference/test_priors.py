"""Priors: defaults, code that rebuilds them, dtypes, and bad priors."""

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import widgets.inference as inference
from widgets.inference import Priors


def test_default_priors_are_the_tutorials():
    """Are Priors() exactly a ~ Normal(0, 2), b ~ Normal(0, 2), sigma ~ HalfNormal(1)?"""
    priors = Priors()
    assert isinstance(priors.a, dist.Normal) and isinstance(priors.b, dist.Normal)
    assert isinstance(priors.sigma, dist.HalfNormal)
    assert (float(priors.a.loc), float(priors.a.scale)) == (0.0, 2.0)
    assert (float(priors.b.loc), float(priors.b.scale)) == (0.0, 2.0)
    assert float(priors.sigma.scale) == 1.0


@pytest.mark.parametrize(
    "priors",
    [
        Priors(),
        Priors(a=dist.Normal(0.1, 5.0), sigma=dist.Exponential(1.5)),
        Priors(a=dist.StudentT(3.0, 0.0, 1.0), b=dist.Uniform(-5.0, 5.0)),
        Priors(sigma=dist.LogNormal(-1.0, 0.5)),
    ],
    ids=repr,
)
def test_repr_is_code_that_rebuilds_the_priors(priors):
    """Does evaluating repr(priors) give back equal priors (the copy-as-code contract)?"""
    rebuilt = eval(repr(priors), {"Priors": Priors, "dist": dist})
    assert rebuilt == priors
    assert repr(rebuilt) == repr(priors)


def test_priors_differ_when_a_hyperparameter_differs():
    """Are priors with a different scale unequal?"""
    assert Priors(a=dist.Normal(0.0, 2.0)) == Priors()
    assert Priors(a=dist.Normal(0.0, 2.5)) != Priors()


def test_hyperparameters_are_float32_arrays():
    """Are Python floats and float64 arrays turned into float32, so jitted code sees one dtype?"""
    priors = Priors(a=dist.Normal(np.float64(0.0), 3), sigma=dist.Exponential(jnp.asarray(2.0)))
    leaves = [priors.a.loc, priors.a.scale, priors.b.loc, priors.sigma.rate]
    assert all(jnp.asarray(v).dtype == jnp.float32 for v in leaves)


def unchecked(cls, *args):
    """Build a distribution with NumPyro's own argument checks off, as a student could."""
    with numpyro.validation_enabled(False):
        return cls(*args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"a": 3.0}, "priors.a must be a NumPyro distribution"),
        ({"b": "Normal(0, 1)"}, "priors.b must be a NumPyro distribution"),
        (
            {"a": unchecked(dist.Normal, 0.0, 0.0)},
            r"priors.a: the scale of Normal must be a finite number > 0; got 0.0",
        ),
        (
            {"b": unchecked(dist.Normal, 0.0, -1.0)},
            r"priors.b: the scale of Normal must be a finite number > 0; got -1.0",
        ),
        (
            {"a": unchecked(dist.Normal, float("nan"), 1.0)},
            "priors.a: the loc of Normal must be a finite number; got nan",
        ),
        (
            {"a": unchecked(dist.Normal, 0.0, float("inf"))},
            "priors.a: the scale of Normal must be a finite number > 0; got inf",
        ),
        (
            {"sigma": unchecked(dist.HalfNormal, -2.0)},
            "priors.sigma: the scale of HalfNormal must be a finite number > 0",
        ),
        (
            {"sigma": unchecked(dist.Exponential, 0.0)},
            "priors.sigma: the rate of Exponential must be a finite number > 0",
        ),
        ({"sigma": dist.Normal(0.0, 1.0)}, "priors.sigma must put all its mass on positive numbers"),
        ({"sigma": dist.Uniform(-1.0, 1.0)}, "priors.sigma must put all its mass on positive numbers"),
        ({"b": dist.Uniform(2.0, 1.0)}, r"priors.b: .* has no valid density; .* low must be below high"),
        ({"a": dist.Poisson(3.0)}, "priors.a must be a continuous distribution"),
        ({"a": dist.Normal(jnp.zeros(2), 1.0)}, "priors.a must be a distribution over one number"),
    ],
)
def test_bad_priors_raise_a_clear_value_error(kwargs, message):
    """Does each bad prior raise ValueError naming the prior and what is allowed?"""
    with pytest.raises(ValueError, match=message):
        Priors(**kwargs)


def test_numpyro_rejects_a_bad_scale_before_priors_see_it():
    """With NumPyro's default checks, does Normal(0, 0) already raise a ValueError naming the scale?"""
    with pytest.raises(ValueError, match="Normal distribution got invalid scale parameter"):
        Priors(a=dist.Normal(0.0, 0.0))


def test_priors_are_immutable():
    """Can a prior not be swapped in place (so a panel cannot corrupt a shared Priors)?"""
    priors = Priors()
    with pytest.raises(AttributeError):
        priors.a = dist.Normal(0.0, 1.0)


def test_default_priors_object_is_shared_and_valid():
    """Is the module's default Priors equal to a fresh Priors()?"""
    assert inference.TUTORIAL_PRIORS == Priors()


def test_priors_reject_a_non_distribution():
    """Is Priors(sigma=1.0) refused with the prior's name?"""
    with pytest.raises(ValueError, match="priors.sigma must be a NumPyro distribution"):
        Priors(sigma=1.0)
