"""Fitting a model with NUTS: ``fit``, and whether a fit would compile first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from widgets.inference.adaptation import MAX_NUM_WARMUP
from widgets.inference.checks import _as_count, _as_seed, _check_model, as_data
from widgets.inference.compiled import _return_freed_memory
from widgets.inference.models import linear_regression
from widgets.inference.priors import TUTORIAL_PRIORS, Priors, _check_priors
from widgets.inference.results import Fit
from widgets.inference.sampler import CHAIN_METHODS, MAX_NUM_SAMPLES, _SAMPLERS, _sampler, _signature


_RANGE_WHY = " (the run lengths one compiled sampler serves)"


def _check_sampler_choice(model, priors, num_chains, chain_method) -> tuple[Callable, Priors, int]:
    """Check what selects a compiled sampler; return model, priors and num_chains."""
    _check_model(model)
    priors = _check_priors(priors)
    num_chains = _as_count("num_chains", num_chains, minimum=1)
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}; got {chain_method!r}")
    return model, priors, num_chains


def fit(
    x,
    y,
    *,
    priors: Priors = TUTORIAL_PRIORS,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], Any] | None = None,
    model: Callable = linear_regression,
    chain_method: str = "auto",
    target_accept_prob: float = 0.8,
) -> Fit:
    """Fit the model to ``(x, y)`` with NUTS.

    The sampler is compiled once per model, data length, prior family, number
    of chains and chain method (see :func:`fit_needs_compiling`). New data of
    the same length, new prior hyperparameters, a new `num_warmup` (up to
    ``MAX_NUM_WARMUP``), `num_samples` (up to ``MAX_NUM_SAMPLES``), seed or
    `target_accept_prob` all reuse it. Results are reproducible for a seed
    and run length, with or without `progress`.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The data.
    priors : Priors
        The priors; the tutorial's by default.
    num_warmup : int
        Warmup (adaptation) iterations per chain, in [0, MAX_NUM_WARMUP] (10,000);
        discarded.
    num_samples : int
        Kept draws per chain, in [1, MAX_NUM_SAMPLES] (10,000).
    num_chains : int
        Independent chains, >= 1.
    seed : int
        Seed of the run, in [0, 2**32).
    progress : callable, optional
        Called with the fraction done: 0 at the start, then after each part
        of the run (4 parts, or about 4 per second for runs that take longer),
        ending with 1.0.
    model : callable
        The NumPyro model; the tutorial's linear regression by default.
    chain_method : {"auto", "parallel", "vectorized", "sequential"}
        How to run the chains. ``"parallel"`` splits them over the host
        devices (see ``numpyro.set_host_device_count``), each device running
        its share in lockstep; ``"vectorized"`` runs all of them in lockstep
        on one device; ``"sequential"`` runs them one after another (compiles
        fastest, samples slowest). ``"auto"`` is ``"parallel"`` when several
        devices divide `num_chains`, else ``"vectorized"``: the fastest
        re-fits measured here (``python -m benchmarks``).
    target_accept_prob : float
        NUTS' target acceptance probability, in (0, 1); raise it to fight
        divergences.

    Returns
    -------
    Fit
        Draws, sampler statistics, ``idata``, ``summary()`` and ``diagnostics``.

    Raises
    ------
    ValueError
        If the data are empty, not numeric, not finite or of different lengths,
        or a count, seed or option is out of range.
    """
    x_arr, y_arr = as_data("x", x), as_data("y", y)
    if x_arr.shape != y_arr.shape:
        raise ValueError(
            f"x and y must have the same length; got len(x)={x_arr.shape[0]} and len(y)={y_arr.shape[0]}"
        )
    model, priors, num_chains = _check_sampler_choice(model, priors, num_chains, chain_method)
    num_warmup = _as_count("num_warmup", num_warmup, minimum=0, maximum=MAX_NUM_WARMUP, why=_RANGE_WHY)
    num_samples = _as_count("num_samples", num_samples, minimum=1, maximum=MAX_NUM_SAMPLES, why=_RANGE_WHY)
    if not (isinstance(target_accept_prob, (int, float)) and 0 < target_accept_prob < 1):
        raise ValueError(f"target_accept_prob must be in (0, 1); got {target_accept_prob!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a function of the fraction done; got {progress!r}")
    seed_array = _as_seed(seed)

    sampler = _sampler(model, num_chains, chain_method)
    signature = _signature(x_arr, priors)
    compiles = signature not in sampler.compiled_for
    if compiles:
        _return_freed_memory()  # what earlier compiles freed, before this one
    if progress is not None:
        progress(0.0)
    samples, stats, loglik, latent_sites = sampler.run(
        seed_array, num_warmup, num_samples, target_accept_prob, x_arr, y_arr, priors, progress
    )
    sampler.compiled_for.add(signature)
    if compiles:
        _return_freed_memory()
    return Fit(
        samples=samples,
        sample_stats=stats,
        log_likelihood=loglik,
        x=np.asarray(x_arr),
        y=np.asarray(y_arr),
        priors=priors,
        model=model,
        seed=int(seed),
        latent_sites=latent_sites,
    )


def fit_needs_compiling(
    x,
    *,
    priors: Priors = TUTORIAL_PRIORS,
    num_chains: int = 4,
    model: Callable = linear_regression,
    chain_method: str = "auto",
) -> bool:
    """Whether :func:`fit` on data like `x` would compile its sampler before sampling.

    It compiles (or loads from JAX's persistent cache) on the first fit in a
    process for each model, data length, prior family, number of chains and
    chain method; never for a new run length, seed, data of the same length,
    prior hyperparameters or ``target_accept_prob``.

    Parameters
    ----------
    x : array_like, shape (n,)
        The data's inputs (only their length matters).
    priors : Priors
        The priors (only their families matter).
    num_chains : int
        Number of chains, >= 1.
    model : callable
        The NumPyro model.
    chain_method : {"auto", "parallel", "vectorized", "sequential"}
        How the chains run, as in :func:`fit`.

    Returns
    -------
    bool
        True if the next such fit compiles first.

    Raises
    ------
    ValueError
        For input :func:`fit` would refuse.
    """
    x_arr = as_data("x", x)
    model, priors, num_chains = _check_sampler_choice(model, priors, num_chains, chain_method)
    sampler = _SAMPLERS.get((model, num_chains, chain_method))
    return sampler is None or _signature(x_arr, priors) not in sampler.compiled_for
