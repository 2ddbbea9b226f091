"""The prior families a panel offers: slider ranges, what build returns, family_of, bad input.

The distributions are checked against SciPy's closed forms (log densities, exactly up to
float32) and by their draws (quantile coverage, tolerances from the binomial Monte Carlo
error), so a swapped argument or a rate taken for a scale shows.
"""

import math
import re

import jax
import numpy as np
import numpyro.distributions as dist
import pytest
from numpyro.distributions import constraints
from scipy import stats

from widgets.families import FAMILIES, Family, Hyper, family_of
from widgets.inference import Priors

SITES = ("a", "b", "sigma")
ALL = [(site, family) for site in SITES for family in FAMILIES[site].values()]
ALL_IDS = [f"{site}-{family.name}" for site, family in ALL]

# One non-default value per hyperparameter, on its slider's grid, for every family.
CASES = {
    "Normal": {"loc": 1.5, "scale": 0.7},
    "StudentT": {"df": 4.0, "loc": -1.0, "scale": 0.5},
    "Uniform": {"low": -1.0, "high": 3.0},
    "HalfNormal": {"scale": 2.5},
    "Exponential": {"rate": 4.0},
    "LogNormal": {"loc": 0.5, "scale": 0.4},
}


def scipy_twin(name: str, values: dict[str, float]):
    """The same distribution from scipy.stats, with its own parameterization."""
    v = values
    return {
        "Normal": lambda: stats.norm(v["loc"], v["scale"]),
        "StudentT": lambda: stats.t(v["df"], v["loc"], v["scale"]),
        "Uniform": lambda: stats.uniform(v["low"], v["high"] - v["low"]),
        "HalfNormal": lambda: stats.halfnorm(scale=v["scale"]),
        "Exponential": lambda: stats.expon(scale=1.0 / v["rate"]),
        "LogNormal": lambda: stats.lognorm(s=v["scale"], scale=math.exp(v["loc"])),
    }[name]()


def family_named(name: str) -> tuple[str, Family]:
    """The first site offering family `name`, and the family."""
    return next((site, family) for site, family in ALL if family.name == name)


def on_grid(value: float, hyper: Hyper) -> bool:
    """Is `value` one of the slider's values low + k * step?"""
    steps = (value - hyper.low) / hyper.step
    return abs(steps - round(steps)) < 1e-6 and hyper.low <= value <= hyper.high


# -- what the panel offers ---------------------------------------------------


def test_sites_offer_the_tutorials_families_first():
    """Do a and b offer Normal, StudentT, Uniform, and sigma HalfNormal, Exponential, LogNormal, in order?"""
    assert list(FAMILIES["a"]) == list(FAMILIES["b"]) == ["Normal", "StudentT", "Uniform"]
    assert list(FAMILIES["sigma"]) == ["HalfNormal", "Exponential", "LogNormal"]
    assert all(name == family.name for site in SITES for name, family in FAMILIES[site].items())


@pytest.mark.parametrize("site", SITES)
def test_the_first_family_at_its_defaults_is_the_tutorials_prior(site):
    """Is the first family of each site, at its default values, the prior Priors() puts there?"""
    family, values = family_of(site, getattr(Priors(), site))
    assert family is next(iter(FAMILIES[site].values()))
    assert values == {h.name: h.default for h in family.hypers}


@pytest.mark.parametrize("site, family", ALL, ids=ALL_IDS)
def test_every_slider_range_holds_its_default_on_its_grid(site, family):
    """Does each slider have low < high, reach high in whole steps, and hold the default on a step?"""
    for hyper in family.hypers:
        assert hyper.low < hyper.high and hyper.step > 0, hyper
        assert on_grid(hyper.high, hyper), f"{family.name}.{hyper.name}: high is not a whole number of steps"
        assert on_grid(hyper.default, hyper), f"{family.name}.{hyper.name}: default is off the grid"


@pytest.mark.parametrize("site, family", ALL, ids=ALL_IDS)
def test_every_slider_end_builds_or_names_the_hyperparameter(site, family):
    """At each end of each slider (others at their defaults), is there a prior or a ValueError naming it?"""
    for hyper in family.hypers:
        for value in (hyper.low, hyper.high):
            try:
                family.build(**{hyper.name: value})
            except ValueError as err:
                assert hyper.name in str(err) and family.name in str(err), str(err)


@pytest.mark.parametrize("family", FAMILIES["sigma"].values(), ids=list(FAMILIES["sigma"]))
def test_sigma_families_are_positive(family):
    """Does every family offered for sigma, a noise scale, put all its mass on sigma > 0?"""
    assert family.build().support is constraints.positive


# -- build -------------------------------------------------------------------


@pytest.mark.parametrize("site, family", ALL, ids=ALL_IDS)
def test_build_with_no_values_uses_the_defaults(site, family):
    """Does build() give the family's class with every hyperparameter at its default?"""
    d = family.build()
    assert type(d) is family.cls
    assert {h.name: float(getattr(d, h.name)) for h in family.hypers} == {
        h.name: h.default for h in family.hypers
    }


@pytest.mark.parametrize("name", CASES)
def test_build_passes_each_value_to_its_own_argument(name):
    """With a distinct value for every hyperparameter, does each land in the argument of its name?"""
    _, family = family_named(name)
    d = family.build(**CASES[name])
    assert {h.name: float(getattr(d, h.name)) for h in family.hypers} == CASES[name]


def test_build_keeps_defaults_for_values_not_given():
    """Does build(loc=1.5) on Normal keep the default scale?"""
    d = FAMILIES["a"]["Normal"].build(loc=1.5)
    assert (float(d.loc), float(d.scale)) == (1.5, 2.0)


def test_cases_cover_every_family():
    assert set(CASES) == {family.name for _, family in ALL}


@pytest.mark.parametrize("name", CASES)
def test_built_log_density_is_the_closed_form(name):
    """Does the built prior's log density equal SciPy's for the same named parameters (float32)?"""
    _, family = family_named(name)
    twin = scipy_twin(name, CASES[name])
    x = twin.ppf(np.array([0.02, 0.2, 0.5, 0.8, 0.98])).astype(np.float32)
    got = np.asarray(family.build(**CASES[name]).log_prob(x))
    np.testing.assert_allclose(got, twin.logpdf(x.astype(np.float64)), rtol=2e-5, atol=2e-5)


# Draws: the share of N draws at or below SciPy's q-quantile is binomial, with standard
# error sqrt(q (1 - q) / N). A bound of 4.5 standard errors fails a correct sampler with
# probability 7e-6 per check, < 3e-4 over the 36 checks; the seed is fixed, so the outcome is
# fixed too. The bound is 0.016 at q = 0.5: a rate taken for a scale or a swapped loc and
# scale moves these shares by far more.
N_DRAWS = 20_000
QUANTILES = np.array([0.05, 0.25, 0.5, 0.75, 0.95, 0.99])


@pytest.mark.parametrize("name", CASES)
def test_built_prior_draws_match_the_closed_form_quantiles(name):
    """Do the built prior's draws fall below SciPy's quantiles as often as they should?"""
    _, family = family_named(name)
    draws = np.asarray(family.build(**CASES[name]).sample(jax.random.PRNGKey(0), (N_DRAWS,)))
    shares = (draws[:, None] <= scipy_twin(name, CASES[name]).ppf(QUANTILES)).mean(axis=0)
    bound = 4.5 * np.sqrt(QUANTILES * (1 - QUANTILES) / N_DRAWS)
    assert np.all(np.abs(shares - QUANTILES) <= bound), (shares, QUANTILES, bound)


# -- family_of ---------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_family_of_reads_back_what_build_made(name):
    """Does family_of give back a built prior's family and values, also once Priors holds it in float32?"""
    site, family = family_named(name)
    built = family.build(**CASES[name])
    assert family_of(site, built) == (family, CASES[name])
    found, values = family_of(site, getattr(Priors(**{site: built}), site))
    assert found is family
    assert values == pytest.approx(CASES[name], rel=1e-6)


@pytest.mark.parametrize(
    "site, prior, message",
    [
        ("a", dist.Cauchy(0.0, 1.0), "the panel offers Normal, StudentT, Uniform for a; got Cauchy"),
        ("b", dist.HalfNormal(1.0), "the panel offers Normal, StudentT, Uniform for b; got HalfNormal"),
        (
            "sigma",
            dist.Normal(0.0, 1.0),
            "the panel offers HalfNormal, Exponential, LogNormal for sigma; got Normal",
        ),
        ("sigma", dist.Gamma(2.0, 1.0), "for sigma; got Gamma"),
    ],
)
def test_family_of_refuses_a_family_the_panel_does_not_offer(site, prior, message):
    """Is a prior of another family refused with the site, what is offered and what was given?"""
    with pytest.raises(ValueError, match=message):
        family_of(site, prior)


# -- bad values --------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "site, name, values, message",
    [
        ("a", "Normal", {"scale": 0.0}, "Normal: scale must be a finite number > 0; got 0$"),
        ("a", "Normal", {"scale": -1.0}, "Normal: scale must be a finite number > 0; got -1$"),
        ("a", "Normal", {"scale": INF}, "Normal: scale must be a finite number > 0; got inf$"),
        ("a", "Normal", {"loc": NAN}, "Normal: loc must be a finite number; got nan$"),
        ("a", "StudentT", {"df": 0.0}, "StudentT: df must be a finite number > 0; got 0$"),
        ("a", "StudentT", {"loc": -INF}, "StudentT: loc must be a finite number; got -inf$"),
        ("a", "Uniform", {"low": INF}, "Uniform: low must be a finite number; got inf$"),
        ("a", "Uniform", {"high": NAN}, "Uniform: high must be a finite number; got nan$"),
        ("a", "Uniform", {"low": 5.0, "high": 5.0}, r"Uniform: low \(5\) must be below high \(5\)$"),
        ("a", "Uniform", {"low": 6.0, "high": -6.0}, r"Uniform: low \(6\) must be below high \(-6\)$"),
        ("sigma", "HalfNormal", {"scale": 0.0}, "HalfNormal: scale must be a finite number > 0; got 0$"),
        ("sigma", "Exponential", {"rate": -0.5}, "Exponential: rate must be a finite number > 0; got -0.5$"),
        ("sigma", "LogNormal", {"scale": 0.0}, "LogNormal: scale must be a finite number > 0; got 0$"),
        ("sigma", "LogNormal", {"loc": NAN}, "LogNormal: loc must be a finite number; got nan$"),
    ],
)
def test_build_refuses_bad_values_naming_the_hyperparameter(site, name, values, message):
    """Does each bad value raise ValueError naming family, hyperparameter, what is allowed and the value?"""
    with pytest.raises(ValueError, match=message):
        FAMILIES[site][name].build(**values)


def test_build_refuses_a_name_the_family_does_not_have():
    """Is a misspelt hyperparameter (sacle) refused, naming it, instead of silently keeping the default?"""
    try:
        FAMILIES["a"]["Normal"].build(sacle=5.0)
    except ValueError as err:
        assert "sacle" in str(err)
    else:
        raise AssertionError("build(sacle=5.0) returned a Normal with the default scale")


@pytest.mark.parametrize("value", ["abc", None])
def test_build_refuses_a_value_that_is_not_a_number_naming_it(value):
    """Is a value that is not a number refused with a ValueError naming the hyperparameter?"""
    try:
        FAMILIES["a"]["Normal"].build(scale=value)
    except ValueError as err:
        assert "scale" in str(err), str(err)
    except TypeError as err:
        raise AssertionError(f"TypeError, not ValueError: {err}") from None
    else:
        raise AssertionError(f"build(scale={value!r}) returned a prior")


def test_family_of_refuses_an_unknown_site_naming_it():
    """Is a site the panel does not have (c) refused with a ValueError naming it and the sites?"""
    try:
        family_of("c", dist.Normal(0.0, 1.0))
    except ValueError as err:
        assert re.search(r"\bc\b", str(err)) and "sigma" in str(err), str(err)
    except KeyError as err:
        raise AssertionError(f"KeyError, not ValueError: {err}") from None
    else:
        raise AssertionError("family_of('c', ...) returned a family")
