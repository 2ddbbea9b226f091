"""Fitting with NUTS: ``fit_model`` for any model, ``fit`` for the regression, and whether they compile.

Both run the chunked engine of :mod:`widgets.inference.sampler`; :func:`fit` is
a thin wrapper that names the regression's data ``x``, ``y`` and its
hyperparameters ``priors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


from widgets.inference.adaptation import MAX_NUM_WARMUP
from widgets.inference.checks import (
    _as_count,
    _as_hyperparameters,
    _as_model_data,
    _as_seed,
    _check_arguments,
    _check_model,
    as_data,
)
from widgets.inference.compiled import _return_freed_memory
from widgets.inference.models import _model_sites, _parameters, _regression_model, linear_regression
from widgets.inference.priors import TUTORIAL_PRIORS, Priors, _check_priors
from widgets.inference.results import _REGRESSION_DIMS, Fit
from widgets.inference.sampler import CHAIN_METHODS, MAX_NUM_SAMPLES, _SAMPLERS, _sampler, _signature


_RANGE_WHY = " (the run lengths one compiled sampler serves)"


def _check_sampler_choice(model, priors, num_chains, chain_method) -> tuple[Callable, Priors, int]:
    """Check what selects a compiled sampler; return the model as the engine calls it, priors, num_chains."""
    _check_model(model)
    priors = _check_priors(priors)
    num_chains = _check_chains(num_chains, chain_method)
    return _regression_model(model), priors, num_chains


def _check_chains(num_chains, chain_method) -> int:
    num_chains = _as_count("num_chains", num_chains, minimum=1)
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}; got {chain_method!r}")
    return num_chains


def _check_run(num_warmup, num_samples, target_accept_prob, progress, seed) -> tuple[int, int]:
    """Check the run's options (the seed too); return num_warmup and num_samples."""
    num_warmup = _as_count("num_warmup", num_warmup, minimum=0, maximum=MAX_NUM_WARMUP, why=_RANGE_WHY)
    num_samples = _as_count("num_samples", num_samples, minimum=1, maximum=MAX_NUM_SAMPLES, why=_RANGE_WHY)
    if not (isinstance(target_accept_prob, (int, float)) and 0 < target_accept_prob < 1):
        raise ValueError(f"target_accept_prob must be in (0, 1); got {target_accept_prob!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a function of the fraction done; got {progress!r}")
    _as_seed(seed)
    return num_warmup, num_samples


def _run(
    model,
    data,
    hyperparameters,
    sizes,
    *,
    dims,
    num_warmup,
    num_samples,
    num_chains,
    seed,
    progress,
    chain_method,
    target_accept_prob,
) -> Fit:
    """Fit checked arguments with the engine, calling ``model(**data, **sizes, **hyperparameters)``."""
    sampler = _sampler(model, num_chains, chain_method)
    signature = _signature(data, hyperparameters, sizes)
    compiles = signature not in sampler.compiled_for
    if compiles:
        _return_freed_memory()  # what earlier compiles freed, before this one
    observed_arguments, plate_dims = _model_sites(model, signature, data, hyperparameters, sizes)
    if progress is not None:
        progress(0.0)
    samples, stats, loglik, latent_sites, observed = sampler.run(
        _as_seed(seed), num_warmup, num_samples, target_accept_prob, data, hyperparameters, sizes, progress
    )
    sampler.compiled_for.add(signature)
    if compiles:
        _return_freed_memory()
    return Fit(
        samples=samples,
        sample_stats=stats,
        log_likelihood=loglik,
        observed_data=observed,
        data={**data, **dict(sizes)},
        hyperparameters=hyperparameters,
        model=model,
        seed=int(seed),
        latent_sites=latent_sites,
        observed_arguments=observed_arguments,
        dims={**plate_dims, **dims},
        inverse_mass_matrix=sampler.last_inverse_mass_matrix,
    )


def _check_model_arguments(model, data, hyperparameters) -> tuple[dict, tuple, dict]:
    """Check a model and its named arguments; return its data arrays, sizes and hyperparameters."""
    _check_model(model)
    arrays, sizes = _as_model_data(data)
    hyperparameters = _as_hyperparameters(hyperparameters)
    clash = sorted(set(data) & set(hyperparameters))
    if clash:
        raise ValueError(
            f"{', '.join(map(repr, clash))} is both in data and in hyperparameters; name it once"
        )
    _check_arguments(model, [*data, *hyperparameters], _parameters(model))
    return arrays, sizes, hyperparameters


def fit_model(
    model: Callable,
    data: dict,
    *,
    hyperparameters: dict | None = None,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], Any] | None = None,
    chain_method: str = "auto",
    target_accept_prob: float = 0.8,
    dims: dict[str, list[str]] | None = None,
) -> Fit:
    """Fit any NumPyro model with continuous latent sites to its named data, with NUTS.

    The model is called as ``model(**data, **hyperparameters)``. Every site
    it observes (``obs=...``) gets a pointwise log-likelihood. The sampler
    is compiled once per model, number of chains, chain method and
    signature: the names, shapes and dtypes of the data and hyperparameters
    and the value of each integer size. New data of the same shapes, new
    hyperparameter values, a new run length (up to ``MAX_NUM_WARMUP`` and
    ``MAX_NUM_SAMPLES``), seed or `target_accept_prob` all reuse it. Results
    are reproducible for a seed and run length, with or without `progress`.

    Parameters
    ----------
    model : callable
        The NumPyro model; its latent sites must be continuous, scalar or not.
    data : dict
        The model's data arguments by name, e.g. ``{"J": 8, "sigma": sigma,
        "y": y}``. Arrays of numbers become float32 (integer arrays int32,
        booleans stay); integer scalars such as ``J`` are sizes, fixed in the
        compiled code (a new value compiles anew).
    hyperparameters : dict, optional
        The model's other arguments by name, e.g. ``{"priors": Priors()}``:
        any JAX pytree of numbers (NumPyro distributions too), entering the
        compiled code as float32 arrays.
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
    chain_method : {"auto", "parallel", "vectorized", "sequential"}
        How to run the chains, as in :func:`fit`.
    target_accept_prob : float
        NUTS' target acceptance probability, in (0, 1); raise it to fight
        divergences.
    dims : dict of str to list of str, optional
        Dimension names for ArviZ, e.g. ``{"sigma": ["J"]}``, over those
        read from the model's plates.

    Returns
    -------
    Fit
        Draws, sampler statistics, log-likelihoods, ``idata``, ``summary()``
        and ``diagnostics`` (divergences per chain too).

    Raises
    ------
    ValueError
        If `data` or `hyperparameters` is not a dict of numbers by name, names
        an argument the model does not take, holds a non-finite number, or a
        count, seed or option is out of range.

    Examples
    --------
    >>> from widgets.inference import EIGHT_SCHOOLS, eight_schools_noncentered
    >>> result = fit_model(eight_schools_noncentered, EIGHT_SCHOOLS)  # doctest: +SKIP
    >>> result.diagnostics.divergences_per_chain  # doctest: +SKIP
    (0, 0, 0, 0)
    """
    arrays, sizes, hyperparameters = _check_model_arguments(model, data, hyperparameters)
    if dims is not None and not (
        isinstance(dims, dict) and all(isinstance(v, (list, tuple)) for v in dims.values())
    ):
        raise ValueError(f"dims must be a dict of variable names to lists of dimension names; got {dims!r}")
    num_chains = _check_chains(num_chains, chain_method)
    num_warmup, num_samples = _check_run(num_warmup, num_samples, target_accept_prob, progress, seed)
    return _run(
        model,
        arrays,
        hyperparameters,
        sizes,
        dims={k: list(v) for k, v in (dims or {}).items()},
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        seed=seed,
        progress=progress,
        chain_method=chain_method,
        target_accept_prob=target_accept_prob,
    )


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
    num_warmup, num_samples = _check_run(num_warmup, num_samples, target_accept_prob, progress, seed)
    return _run(
        model,
        {"x": x_arr, "y": y_arr},
        {"priors": priors},
        (),
        dims=_REGRESSION_DIMS,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        seed=seed,
        progress=progress,
        chain_method=chain_method,
        target_accept_prob=target_accept_prob,
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
    signature = _signature({"x": x_arr, "y": x_arr}, {"priors": priors}, ())
    return sampler is None or signature not in sampler.compiled_for


def fit_model_needs_compiling(
    model: Callable,
    data: dict,
    *,
    hyperparameters: dict | None = None,
    num_chains: int = 4,
    chain_method: str = "auto",
) -> bool:
    """Whether :func:`fit_model` of `model` on data like `data` would compile its sampler first.

    It compiles (or loads from JAX's persistent cache) on the first fit in a
    process for each model, number of chains, chain method and signature (the
    names, shapes and dtypes of the data and hyperparameters, and the value of
    each integer size); never for new values of the same shapes, a new run
    length, seed or ``target_accept_prob``.

    Parameters
    ----------
    model : callable
        The NumPyro model.
    data : dict
        The model's data arguments by name (only their shapes, dtypes and
        integer sizes matter).
    hyperparameters : dict, optional
        The model's other arguments by name (only their structure matters).
    num_chains : int
        Number of chains, >= 1.
    chain_method : {"auto", "parallel", "vectorized", "sequential"}
        How the chains run, as in :func:`fit`.

    Returns
    -------
    bool
        True if the next such fit compiles first.

    Raises
    ------
    ValueError
        For input :func:`fit_model` would refuse.
    """
    arrays, sizes, hyperparameters = _check_model_arguments(model, data, hyperparameters)
    num_chains = _check_chains(num_chains, chain_method)
    sampler = _SAMPLERS.get((model, num_chains, chain_method))
    return sampler is None or _signature(arrays, hyperparameters, sizes) not in sampler.compiled_for
