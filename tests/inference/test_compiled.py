"""Compiled code is reused: counted JAX traces and XLA compilations.

A slider move (new hyperparameters), a re-fit of same-sized data or a new run
length (num_warmup, num_samples) must not trace or compile anything; the first
call of each shape may.
"""

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data
from widgets.inference import (
    EIGHT_SCHOOLS,
    MAX_NUM_SAMPLES,
    MAX_NUM_WARMUP,
    Priors,
    eight_schools,
    eight_schools_noncentered,
    fit,
    fit_model,
    fit_model_needs_compiling,
    fit_needs_compiling,
    posterior_predictive,
    prior_predictive,
    sample_posterior_predictive,
    simulate,
    student_t_regression,
)

X_GRID = np.linspace(-2.0, 2.0, 50)


def test_new_hyperparameters_do_not_recompile_prior_predictive(compile_counter):
    """After a first call, do 20 new prior scales (Python floats and float64 alike) run without compiling?

    Neither tracing nor compiling happens again.
    """
    prior_predictive(X_GRID, priors=Priors(a=dist.Normal(0.0, 1.0)))
    counter = compile_counter()
    for i, scale in enumerate(np.linspace(0.5, 5.0, 20)):
        hyper = float(scale) if i % 2 else np.float64(scale)
        prior_predictive(X_GRID, priors=Priors(a=dist.Normal(0.0, hyper), b=dist.Normal(hyper, 1.0)), seed=i)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_a_new_family_compiles_once_then_is_cached(compile_counter):
    """Does switching to new prior families compile on first use only?

    The families (Laplace for ``b``, Exponential for ``sigma``) are used together in no other
    test, so this first use compiles whichever tests ran before in the process.
    """
    prior_predictive(X_GRID)
    counter = compile_counter()
    prior_predictive(X_GRID, priors=Priors(b=dist.Laplace(0.0, 1.0), sigma=dist.Exponential(1.0)))
    first = counter.compilations
    prior_predictive(X_GRID, priors=Priors(b=dist.Laplace(0.5, 2.0), sigma=dist.Exponential(3.0)))
    prior_predictive(X_GRID)
    assert first >= 1
    assert counter.compilations == first


def test_simulate_with_new_parameters_does_not_recompile(compile_counter):
    """Do new true parameters and seeds reuse simulate's compiled code?"""
    simulate(X_GRID, 1.0, 0.0, 1.0)
    counter = compile_counter()
    for i in range(10):
        simulate(X_GRID, 0.1 * i, -0.2 * i, 0.5 + i, seed=i)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_refit_does_not_recompile(compile_counter):
    """Does a re-fit reuse the compiled sampler?

    On new same-sized data, under new hyperparameters, with progress.
    """
    x, y = make_data(40, seed=0)
    fit(x, y, num_warmup=100, num_samples=100, seed=0)
    counter = compile_counter()
    x2, y2 = make_data(40, seed=1, a=-1.0)
    fit(x2, y2, num_warmup=100, num_samples=100, seed=1)
    fit(
        x,
        y,
        priors=Priors(a=dist.Normal(1.0, 0.5), b=dist.Normal(0.0, 3.0)),
        num_warmup=100,
        num_samples=100,
        seed=2,
    )
    fit(x, y, num_warmup=100, num_samples=100, seed=3, progress=lambda fraction: None)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_posterior_predictive_on_a_new_fit_does_not_recompile(compile_counter):
    """Does posterior_predictive on a second fit of the same size reuse compiled code?"""
    x, y = make_data(40, seed=0)
    first = fit(x, y, num_warmup=100, num_samples=100, seed=0)
    posterior_predictive(first, X_GRID)
    second = fit(x, y + 1.0, num_warmup=100, num_samples=100, seed=1)
    counter = compile_counter()
    posterior_predictive(second, X_GRID, seed=5)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_counter_sees_a_compilation(compile_counter):
    """Can the counter fail: does a new data length register a compilation?"""
    counter = compile_counter()
    prior_predictive(np.linspace(0.0, 1.0, 17))
    assert counter.compilations >= 1


def test_new_run_lengths_do_not_recompile(compile_counter):
    """After one fit, do new num_samples and num_warmup over their whole range run without compiling?

    With and without progress, under a new target_accept_prob, and the
    posterior predictive of each result too: nothing may be traced or compiled.
    """
    x, y = make_data(40, seed=0)
    posterior_predictive(fit(x, y, num_warmup=100, num_samples=100, seed=0), X_GRID)
    counter = compile_counter()
    runs = [
        (0, 1),
        (19, 30),
        (20, 300),
        (149, 200),
        (150, 999),
        (500, 1001),
        (MAX_NUM_WARMUP, MAX_NUM_SAMPLES),
    ]
    for i, (num_warmup, num_samples) in enumerate(runs):
        result = fit(
            x,
            y,
            num_warmup=num_warmup,
            num_samples=num_samples,
            seed=i,
            progress=(lambda fraction: None) if i % 2 else None,
            target_accept_prob=0.8 if i % 3 else 0.95,
        )
        assert result.samples["a"].shape == (4, num_samples)
        posterior_predictive(result, X_GRID, seed=i)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_fit_needs_compiling_says_when_fit_compiles(compile_counter):
    """Is fit_needs_compiling True exactly before the fits that compile, so a panel can say so truthfully?

    A new data length, number of chains or prior family compiles; a new run
    length, new data of the same length or new hyperparameters do not.
    """
    x, y = make_data(23, seed=3)
    steps = [
        ({}, True),
        ({"num_samples": 50, "num_warmup": 10}, False),
        ({"y": y + 1.0, "priors": Priors(a=dist.Normal(1.0, 1.0))}, False),
        ({"num_chains": 2}, True),
        ({"priors": Priors(sigma=dist.Exponential(1.0))}, True),
        ({"x": x[:-1], "y": y[:-1]}, True),
        ({"x": x[:-1], "y": y[:-1] - 1.0, "num_samples": 20}, False),
    ]
    for changes, compiles in steps:
        arguments = {"x": x, "y": y, "num_warmup": 100, "num_samples": 100, **changes}
        chains = {"num_chains": arguments["num_chains"]} if "num_chains" in arguments else {}
        options = {"priors": arguments.get("priors", Priors()), **chains}
        assert fit_needs_compiling(arguments["x"], **options) is compiles
        counter = compile_counter()
        fit(**arguments)
        assert (counter.compilations > 0) is compiles, changes
        assert not fit_needs_compiling(arguments["x"], **options)


def _other_schools(seed, *, J=8):
    """Eight-schools-like data of J schools: new effects and standard errors."""
    rng = np.random.default_rng(seed)
    return {"J": J, "sigma": rng.uniform(5.0, 20.0, J), "y": rng.normal(5.0, 10.0, J)}


@pytest.mark.parametrize("model", [eight_schools, eight_schools_noncentered])
def test_eight_schools_on_new_data_does_not_recompile(compile_counter, model):
    """After a first fit, do new schools' data of the same size reuse every compiled program?

    With and without progress, a new run length and seed, and the posterior
    predictive of each fit: nothing may be traced or compiled.
    """
    first = fit_model(model, EIGHT_SCHOOLS, num_warmup=100, num_samples=100, seed=0)
    sample_posterior_predictive(first)
    counter = compile_counter()
    for i in range(1, 4):
        result = fit_model(
            model,
            _other_schools(i),
            num_warmup=100 + i,
            num_samples=100 * i,
            seed=i,
            progress=(lambda fraction: None) if i % 2 else None,
        )
        assert result.samples["theta"].shape == (4, 100 * i, 8)
        sample_posterior_predictive(result, seed=i)
    assert (counter.traces, counter.compilations) == (0, 0)


def test_fit_model_needs_compiling_says_when_fit_model_compiles(compile_counter):
    """Is fit_model_needs_compiling True exactly before the fits that compile (can the count fail)?

    New schools' data of the same size do not compile; J = 7 schools (a new
    size and shape) or two chains do.
    """
    steps = [
        (EIGHT_SCHOOLS, 4, None),
        (_other_schools(1), 4, False),
        (_other_schools(2, J=7), 4, True),
        (_other_schools(3, J=7), 4, False),
        (EIGHT_SCHOOLS, 2, True),
    ]
    for data, num_chains, compiles in steps:
        before = fit_model_needs_compiling(eight_schools, data, num_chains=num_chains)
        counter = compile_counter()
        fit_model(eight_schools, data, num_chains=num_chains, num_warmup=100, num_samples=100)
        if compiles is not None:  # the first fit compiles unless another test compiled it already
            assert before is compiles and (counter.compilations > 0) is compiles, (data["J"], num_chains)
        assert not fit_model_needs_compiling(eight_schools, data, num_chains=num_chains)


def test_new_hyperparameters_do_not_recompile_fit_model(compile_counter):
    """Does fit_model with new values of its hyperparameters (traced arguments) reuse the sampler?"""
    x, y = make_data(30, seed=2)
    tutorial = {"priors": Priors()}
    fit_model(student_t_regression, {"x": x, "y": y}, hyperparameters=tutorial, num_warmup=50, num_samples=50)
    counter = compile_counter()
    for scale in (0.5, 3.0):
        priors = Priors(a=dist.Normal(1.0, scale), sigma=dist.HalfNormal(scale))
        fit_model(
            student_t_regression,
            {"x": x, "y": y + scale},
            hyperparameters={"priors": priors},
            num_warmup=50,
            num_samples=50,
            seed=1,
        )
    assert (counter.traces, counter.compilations) == (0, 0)
