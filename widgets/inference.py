"""The kit's one inference module.

Everything that runs NumPyro inference (``MCMC``, ``NUTS``, ``Predictive``) or
builds ArviZ data lives here, so the panels stay thin views and a later move to
ArviZ 1.x touches one file.

The running example is scalar linear regression, ``y = a*x + b + noise``, with
the priors ``a ~ Normal(0, 2)``, ``b ~ Normal(0, 2)``, ``sigma ~ HalfNormal(1)``.

Every public function is pure: arrays in, NumPy arrays or ``InferenceData`` out.
Each one is compiled by JAX once per model, array shape and prior family; data,
parameters and prior hyperparameters enter the compiled code as ``float32``
array arguments, and a fit's run length (``num_warmup``, ``num_samples``) as
integer arguments, so a new value never recompiles.

A model is any NumPyro model called as ``model(x, y=None)``, or as
``model(x, y=None, priors=...)`` if it has a ``priors`` parameter, with its
observed site named ``"y"``.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import inspect
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

with warnings.catch_warnings():
    # ArviZ 0.23 announces its 1.0 refactor once a day on import, which would make
    # notebook outputs differ by the date they were run; 1.0 needs Python >= 3.12.
    warnings.filterwarnings("ignore", "\nArviZ is undergoing", FutureWarning)
    import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import NUTS, Predictive
from numpyro.infer import log_likelihood as _log_likelihood
from numpyro.infer.hmc_util import HMCAdaptState, dual_averaging, welford_covariance

__all__ = [
    "MAX_NUM_SAMPLES",
    "MAX_NUM_WARMUP",
    "Diagnostics",
    "Fit",
    "Priors",
    "as_data",
    "describe_constraint",
    "exact_posterior_moments",
    "fit",
    "fit_needs_compiling",
    "linear_regression",
    "posterior_predictive",
    "predictive_bands",
    "predictive_pvalue",
    "prior_densities",
    "prior_predictive",
    "simulate",
    "summary_statistic",
]

# ArviZ's forest plot asks for a semibold font; with only DejaVu Sans installed
# Matplotlib logs a fallback to bold on stderr each time. Nothing is wrong.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

DTYPE = jnp.float32
HDI_PROB = 0.94
RHAT_MAX = 1.01
ESS_MIN = 400
CHAIN_METHODS = ("auto", "parallel", "vectorized", "sequential")
# With a progress callback, the run is split into jitted chunks, about this many
# per second of sampling (each chunk costs ~2 ms here), never fewer than 4.
PROGRESS_PER_SECOND = 4
PROGRESS_CHUNKS = (4, 50)

# --------------------------------------------------------------------------
# Checking input at the boundary
# --------------------------------------------------------------------------


def _numeric_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers; got {value!r}") from err
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be an array of numbers; got values of type {array.dtype}")
    if np.iscomplexobj(array):
        raise ValueError(f"{name} must be real numbers; got complex values")
    return array


def as_data(name: str, value: Any) -> np.ndarray:
    """Return `value` as a finite, non-empty, 1-D float32 array, or raise a ValueError.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : array_like
        The data.
    """
    array = _numeric_array(name, value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of numbers; got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty; it needs at least one value")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{name} must be finite; got {array[bad[0]]} at index {bad[0]}"
            + (f" and {bad.size - 1} more" if bad.size > 1 else "")
        )
    return array.astype(np.float32)


def _as_scalar(name: str, value: Any, *, positive: bool = False) -> np.ndarray:
    """Return `value` as a finite float32 scalar, checked to be > 0 if asked."""
    array = _numeric_array(name, value)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number; got shape {array.shape}")
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {number}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be > 0; got {number}")
    return np.asarray(number, np.float32)


def _as_count(name: str, value: Any, *, minimum: int, maximum: int | None = None, why: str = "") -> int:
    """Return `value` as a Python int in [`minimum`, `maximum`]; `why` explains the range."""
    allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]{why}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer {allowed}; got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {allowed}; got {value}")
    return int(value)


def _as_seed(seed: Any) -> np.ndarray:
    """Return an integer seed in [0, 2**32) as the uint32 that jitted code turns into a key."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed}")
    return np.asarray(seed, np.uint32)


# --------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------

_SITES = ("a", "b", "sigma")
_TUTORIAL = {
    "a": lambda: dist.Normal(0.0, 2.0),
    "b": lambda: dist.Normal(0.0, 2.0),
    "sigma": lambda: dist.HalfNormal(1.0),
}


def describe_constraint(constraint: constraints.Constraint) -> str:
    """Say in words what a NumPyro parameter constraint allows, e.g. ``a finite number > 0``."""
    if constraint is constraints.real:
        return "a finite number"
    if constraint is constraints.positive:
        return "a finite number > 0"
    lower = getattr(constraint, "lower_bound", None)
    upper = getattr(constraint, "upper_bound", None)
    if lower is not None and upper is not None:
        return f"a number in [{_number(lower)}, {_number(upper)}]"
    if lower is not None:
        return f"a finite number > {_number(lower)}"
    return f"a finite number in {constraint}"


def _number(value: Any) -> str:
    """Shortest text that reads back as the same float32."""
    return str(np.float32(np.asarray(value).item()))


def _init_parameters(d: dist.Distribution) -> dict[str, Any]:
    """The constructor arguments that rebuild `d`, in constructor order."""
    names = [p for p in inspect.signature(type(d).__init__).parameters if p not in ("self", "validate_args")]
    return {n: getattr(d, n) for n in names if n in d.arg_constraints and getattr(d, n, None) is not None}


def _distribution_code(d: dist.Distribution) -> str:
    """``dist.Normal(loc=0.0, scale=2.0)`` for a NumPyro distribution."""
    cls = type(d)
    prefix = "dist." if getattr(dist, cls.__name__, None) is cls else cls.__module__ + "."
    args = ", ".join(f"{k}={_number(v)}" for k, v in _init_parameters(d).items())
    return f"{prefix}{cls.__name__}({args})"


def _to_float32(d: dist.Distribution) -> dist.Distribution:
    # Python floats would enter jitted code weakly typed and float64 arrays as
    # float64: either way one extra compilation. Fix the dtype here, once.
    # NumPy arrays are as good as jax arrays to jit and much cheaper to make.
    return jax.tree.map(lambda leaf: np.asarray(leaf, np.float32), d)


def _needs_density_check(d: dist.Distribution) -> bool:
    """Whether a prior's parameters constrain each other (Uniform's low < high)."""
    return any(constraints.is_dependent(c) for c in d.arg_constraints.values())


@jax.jit
def _finite_density(d: dist.Distribution) -> jax.Array:
    # Catches what no single-parameter constraint can, such as Uniform(low > high).
    draws = d.sample(jax.random.PRNGKey(0), (16,))
    return jnp.all(jnp.isfinite(d.log_prob(draws)))


def _prior_problem(site: str, d: dist.Distribution) -> str | None:
    """Say what is wrong with prior `d` (float32 parameters), or return None.

    NumPyro's constraints are plain comparisons, so on NumPy parameters they
    run without JAX: checking priors costs microseconds, which matters because
    a slider move builds new Priors. Only parameters that constrain each other
    need one compiled draw-and-evaluate check.
    """
    for param, constraint in d.arg_constraints.items():
        value = getattr(d, param, None)
        if value is None or constraints.is_dependent(constraint):
            continue
        value = np.asarray(value)
        if not (np.all(np.isfinite(value)) and np.all(np.asarray(constraint(value)))):
            return (
                f"priors.{site}: the {param} of {type(d).__name__} must be "
                f"{describe_constraint(constraint)}; got {value.item()}"
            )
    if site == "sigma" and np.any(np.asarray(d.support(np.asarray([-1.0, -1e-3], np.float32)))):
        return (
            "priors.sigma must put all its mass on positive numbers (e.g. "
            "dist.HalfNormal, dist.Exponential, dist.LogNormal); got "
            f"{_distribution_code(d)}, which allows negative values"
        )
    if _needs_density_check(d):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # NumPyro's out-of-support note
            valid = bool(_finite_density(d))
        if not valid:
            return (
                f"priors.{site}: {_distribution_code(d)} has no valid density; "
                "check its parameters (for Uniform, low must be below high)"
            )
    return None


def _check_prior_kind(site: str, d: Any) -> dist.Distribution:
    """Return prior `d` with float32 parameters, or raise if it is the wrong kind."""
    if not isinstance(d, dist.Distribution):
        raise ValueError(
            f"priors.{site} must be a NumPyro distribution such as "
            f"{_distribution_code(_TUTORIAL[site]())}; got {d!r}"
        )
    if d.batch_shape != () or d.event_shape != ():
        raise ValueError(
            f"priors.{site} must be a distribution over one number; got batch shape "
            f"{d.batch_shape} and event shape {d.event_shape}"
        )
    if d.support.is_discrete:
        raise ValueError(
            f"priors.{site} must be a continuous distribution; got {type(d).__name__}, which is discrete"
        )
    return _to_float32(d)


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Priors:
    """The priors of the linear regression, one NumPyro distribution each.

    ``Priors()`` are the tutorial's: ``a ~ Normal(0, 2)``, ``b ~ Normal(0, 2)``,
    ``sigma ~ HalfNormal(1)``. Priors are immutable JAX pytrees, so they can be
    passed to jitted code: new hyperparameters reuse the compiled code, a new
    family compiles once. ``repr(priors)`` is code that rebuilds them.

    Parameters
    ----------
    a, b : numpyro.distributions.Distribution
        Continuous priors over one number, for the slope and the intercept.
    sigma : numpyro.distributions.Distribution
        Continuous prior over one positive number, for the noise scale.

    Raises
    ------
    ValueError
        If a prior is not a NumPyro distribution over one continuous number, has
        invalid parameters, or (for ``sigma``) allows negative values.

    Examples
    --------
    >>> import numpyro.distributions as dist
    >>> Priors(a=dist.Normal(0.0, 5.0), sigma=dist.Exponential(1.0))
    Priors(a=dist.Normal(loc=0.0, scale=5.0), b=dist.Normal(loc=0.0, scale=2.0), \
sigma=dist.Exponential(rate=1.0))
    """

    a: dist.Distribution = dataclasses.field(default_factory=_TUTORIAL["a"])
    b: dist.Distribution = dataclasses.field(default_factory=_TUTORIAL["b"])
    sigma: dist.Distribution = dataclasses.field(default_factory=_TUTORIAL["sigma"])

    def __post_init__(self) -> None:
        for site in _SITES:
            d = _check_prior_kind(site, getattr(self, site))
            problem = _prior_problem(site, d)
            if problem:
                raise ValueError(problem)
            object.__setattr__(self, site, d)

    def __repr__(self) -> str:
        fields = ", ".join(f"{s}={_distribution_code(getattr(self, s))}" for s in _SITES)
        return f"Priors({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Priors) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def tree_flatten(self):
        """Flatten for JAX: each distribution's parameters, by name."""
        fields, rebuild = zip(*(_parameters_by_name(getattr(self, s)) for s in _SITES), strict=True)
        return fields, rebuild

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        """Rebuild without checks: JAX passes tracers and placeholders here."""
        priors = object.__new__(cls)
        for site, fields, rebuild in zip(_SITES, children, aux_data, strict=True):
            object.__setattr__(priors, site, _from_parameters(fields, rebuild))
        return priors


def _parameters_by_name(d: dist.Distribution) -> tuple[dict[str, Any], tuple]:
    """A distribution's array fields as a dict, and what rebuilds it from them.

    NumPyro flattens a distribution's fields in the order of a Python set, which
    changes with the interpreter's string hash seed; the compiled code then differs
    between processes and JAX's persistent cache misses. JAX flattens a dict in
    sorted key order, the same in every process.
    """
    names = type(d).gather_pytree_data_fields()
    values, aux = d.tree_flatten()
    fields, nested = {}, []
    for name, value in zip(names, values, strict=True):
        if isinstance(value, dist.Distribution):  # e.g. LogNormal's base Normal
            fields[name], inner = _parameters_by_name(value)
            nested.append((name, inner))
        else:
            fields[name] = value
    return fields, (type(d), aux, tuple(nested))


def _from_parameters(fields: dict[str, Any], rebuild: tuple) -> dist.Distribution:
    cls, aux, nested = rebuild
    inner = dict(nested)
    values = tuple(
        _from_parameters(fields[name], inner[name]) if name in inner else fields[name]
        for name in cls.gather_pytree_data_fields()
    )
    return cls.tree_unflatten(aux, values)


TUTORIAL_PRIORS = Priors()


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


def linear_regression(x, y=None, priors: Priors = TUTORIAL_PRIORS):
    """Scalar linear regression ``y = a*x + b + noise`` as a NumPyro model.

    Parameters
    ----------
    x : array, shape (n,)
        The inputs.
    y : array, shape (n,), optional
        The observations; ``None`` draws ``y`` from the model instead.
    priors : Priors
        Priors of ``a``, ``b`` and ``sigma``; the tutorial's by default.
    """
    a = numpyro.sample("a", priors.a)
    b = numpyro.sample("b", priors.b)
    sigma = numpyro.sample("sigma", priors.sigma)
    with numpyro.plate("data", jnp.shape(x)[0]):
        numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


def _check_model(model: Any) -> None:
    if not callable(model):
        raise ValueError(f"model must be a NumPyro model (a function); got {model!r}")


@functools.lru_cache(maxsize=64)
def _takes_priors(model: Callable) -> bool:
    try:
        parameters = inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False
    return "priors" in parameters


def _call_with_priors(model: Callable) -> Callable:
    """Wrap `model` so that it is always called as ``f(x, y, priors)``."""
    if _takes_priors(model):
        return lambda x, y, priors: model(x, y, priors=priors)
    return lambda x, y, priors: model(x, y)


def _check_priors(priors: Any) -> Priors:
    if not isinstance(priors, Priors):
        raise ValueError(
            f"priors must be a widgets.inference.Priors, e.g. Priors(a=dist.Normal(0.0, 5.0)); got {priors!r}"
        )
    return priors


def _to_numpy(tree: Mapping[str, jax.Array]) -> dict[str, np.ndarray]:
    return dict(jax.device_get(tree))  # one transfer for the whole dict


def _return_freed_memory() -> None:
    """Hand memory freed after compiling back to the OS.

    glibc keeps it otherwise: measured here, compiling a sampler leaves ~200 MB
    freed but resident, which a lesson's kernel carries into the next compile
    (Binder allows 2 GB per user).
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _compiled(builder: Callable, *key) -> tuple[Callable, bool]:
    """``builder(*key)`` from its cache, and whether it was new (it compiles on first use).

    A new one is about to compile: memory freed by earlier compiles (ours, or a
    tutorial-style MCMC run in the same kernel) is handed back to the OS first.
    """
    misses = builder.cache_info().misses
    function = builder(*key)
    new = builder.cache_info().misses > misses
    if new:
        _return_freed_memory()
    return function, new


# --------------------------------------------------------------------------
# Simulation and predictive draws (one compiled function per model and size)
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _simulate_fn(model: Callable) -> Callable:
    bound = _call_with_priors(model)

    def run(seed, x, params, priors):
        draws = Predictive(bound, params=params, num_samples=1, return_sites=["y"])(
            jax.random.PRNGKey(seed), x, None, priors
        )
        return draws["y"][0]

    return jax.jit(run)


def simulate(x, a, b, sigma, seed: int = 0, *, model: Callable = linear_regression):
    """Draw one data set ``y`` from the model with fixed parameters.

    This is the tutorial's ``Predictive(model, params={...})`` step: the data
    come from the same code as the model we later fit.

    Parameters
    ----------
    x : array_like, shape (n,)
        The inputs.
    a, b : float
        The true slope and intercept.
    sigma : float
        The true noise scale, > 0.
    seed : int
        Seed of the random draw, in [0, 2**32).
    model : callable
        The NumPyro model; it must have sample sites ``a``, ``b``, ``sigma``, ``y``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The simulated ``y``.

    Raises
    ------
    ValueError
        If ``x`` is empty, not numeric or not finite, a parameter is not a finite
        number, or ``sigma <= 0``.
    """
    _check_model(model)
    x = as_data("x", x)
    params = {
        "a": _as_scalar("a", a),
        "b": _as_scalar("b", b),
        "sigma": _as_scalar("sigma", sigma, positive=True),
    }
    run, _ = _compiled(_simulate_fn, model)
    return np.asarray(run(_as_seed(seed), x, params, TUTORIAL_PRIORS))


@functools.lru_cache(maxsize=64)
def _prior_predictive_fn(model: Callable, num_samples: int) -> Callable:
    bound = _call_with_priors(model)

    def run(seed, x, priors):
        predictive = Predictive(bound, num_samples=num_samples, parallel=True)
        return predictive(jax.random.PRNGKey(seed), x, None, priors)

    return jax.jit(run)


def prior_predictive(
    x,
    priors: Priors = TUTORIAL_PRIORS,
    num_samples: int = 100,
    seed: int = 0,
    *,
    model: Callable = linear_regression,
) -> dict[str, np.ndarray]:
    """Draw parameters from the priors, then ``y`` given ``x``.

    Compiled once per model, ``len(x)``, ``num_samples`` and prior family; a new
    hyperparameter value or new ``x`` of the same length reuses the compiled code.

    Parameters
    ----------
    x : array_like, shape (n,)
        The inputs.
    priors : Priors
        The priors; the tutorial's by default.
    num_samples : int
        Number of draws, >= 1.
    seed : int
        Seed of the random draws, in [0, 2**32).
    model : callable
        The NumPyro model.

    Returns
    -------
    dict of str to numpy.ndarray
        ``a``, ``b``, ``sigma`` of shape ``(num_samples,)`` and ``y`` of shape
        ``(num_samples, n)`` (every sample site of `model`).
    """
    _check_model(model)
    x = as_data("x", x)
    priors = _check_priors(priors)
    num_samples = _as_count("num_samples", num_samples, minimum=1)
    run, _ = _compiled(_prior_predictive_fn, model, num_samples)
    draws = run(_as_seed(seed), x, priors)
    return _to_numpy(draws)


# Posterior draws that one call of the compiled posterior predictive handles: a
# fit's draws go through it a block at a time, so that any number of draws (any
# num_samples or chains) reuses one program.
_PREDICT_BLOCK = 1000


@functools.lru_cache(maxsize=64)
def _posterior_predictive_fn(model: Callable) -> Callable:
    bound = _call_with_priors(model)

    def one_draw(key, sample, x, priors):
        one = jax.tree.map(lambda v: v[None], sample)
        draws = Predictive(bound, posterior_samples=one, parallel=True)(key, x, None, priors)  # key as given
        return jax.tree.map(lambda v: v[0], draws)

    def run(seed, first, samples, x, priors):
        # Predictive on all D draws at once gives draw i the key split(key, D)[i];
        # with JAX's (default) partitionable Threefry that is fold_in(key, i)
        # whatever D is, so a block's draws equal those of one call on all of them.
        key = jax.random.PRNGKey(seed)
        keys = jax.vmap(jax.random.fold_in, (None, 0))(key, first + jnp.arange(_PREDICT_BLOCK))
        return jax.vmap(one_draw, (0, 0, None, None))(keys, samples, x, priors)

    return jax.jit(run)


def _flat_latents(fit: Fit) -> dict[str, np.ndarray]:
    """Posterior draws of the latent sites, chains and draws flattened."""
    return {
        name: values.reshape((-1,) + values.shape[2:])
        for name, values in fit.samples.items()
        if name in fit.latent_sites
    }


def posterior_predictive(fit: Fit, x, seed: int = 0) -> dict[str, np.ndarray]:
    """Draw replicated ``y`` at `x`, one per posterior draw of `fit`.

    Compiled once per model, ``len(x)`` and prior family: fits of any number of
    draws reuse it. The draws are those of NumPyro's ``Predictive(model,
    posterior_samples=...)`` called once on all of them with
    ``jax.random.PRNGKey(seed)`` (to float32 rounding).

    Parameters
    ----------
    fit : Fit
        The result of :func:`fit`; its model and priors are used.
    x : array_like, shape (m,)
        Where to predict (e.g. the observed ``x``, or a grid).
    seed : int
        Seed of the random draws, in [0, 2**32).

    Returns
    -------
    dict of str to numpy.ndarray
        ``y`` of shape ``(chains * draws, m)``, plus any other site of the model
        that is not a posterior sample.
    """
    if not isinstance(fit, Fit):
        raise ValueError(f"fit must be the Fit returned by widgets.inference.fit; got {fit!r}")
    x = as_data("x", x)
    seed = _as_seed(seed)
    run, _ = _compiled(_posterior_predictive_fn, fit.model)
    latents = _flat_latents(fit)
    total = len(next(iter(latents.values())))
    # Padded with copies of the last draw to whole blocks, cut back on the host.
    padding = -total % _PREDICT_BLOCK
    padded = {k: np.concatenate([v, np.repeat(v[-1:], padding, axis=0)]) for k, v in latents.items()}
    blocks = jax.device_get(
        [
            run(
                seed,
                np.int32(first),
                {k: v[first : first + _PREDICT_BLOCK] for k, v in padded.items()},
                x,
                fit.priors,
            )
            for first in range(0, total, _PREDICT_BLOCK)
        ]
    )
    return {k: np.concatenate([b[k] for b in blocks])[:total] for k in blocks[0]}


# --------------------------------------------------------------------------
# The exact posterior, where it exists
# --------------------------------------------------------------------------


def exact_posterior_moments(x, y, priors: Priors = TUTORIAL_PRIORS, *, grid: int = 20_000) -> dict:
    """Exact posterior mean and sd of a, b and sigma, for Normal priors on a, b and HalfNormal sigma.

    Given sigma, ``(a, b)`` has a Gaussian prior and likelihood, so its
    posterior and ``p(y | sigma)`` are Gaussian in closed form; sigma's
    one-dimensional posterior is tabulated on a fine grid and the conditional
    moments are integrated against it (trapezoid rule, in float64).

    Returns
    -------
    dict of str to (float, float)
        ``(mean, sd)`` of ``a``, ``b`` and ``sigma``.

    Raises
    ------
    ValueError
        For other prior families, where no closed form is used.
    """
    priors = _check_priors(priors)
    if not (
        isinstance(priors.a, dist.Normal)
        and isinstance(priors.b, dist.Normal)
        and isinstance(priors.sigma, dist.HalfNormal)
    ):
        raise ValueError(
            f"the exact posterior needs Normal priors on a and b and HalfNormal on sigma; got {priors!r}"
        )
    x, y = (np.asarray(as_data(n, v), np.float64) for n, v in (("x", x), ("y", y)))
    design = np.column_stack([x, np.ones_like(x)])
    prior_mean = np.array([float(priors.a.loc), float(priors.b.loc)])
    prior_cov = np.diag([float(priors.a.scale) ** 2, float(priors.b.scale) ** 2])
    scale = float(priors.sigma.scale)
    sigmas = np.linspace(1e-4, 6.0 * max(scale, float(np.std(y))), grid)
    s2 = sigmas[:, None, None] ** 2
    residual = y - design @ prior_mean
    xtx, xtr = design.T @ design, design.T @ residual
    cov = np.linalg.inv(np.linalg.inv(prior_cov) + xtx / s2)
    means = prior_mean + np.einsum("gij,j->gi", cov, xtr) / s2[:, :, 0]
    second = cov + np.einsum("gi,gj->gij", means, means)
    u = xtr / s2[:, :, 0]  # Woodbury and the determinant lemma: only 2x2 matrices
    quad = residual @ residual / sigmas**2 - np.einsum("gi,gij,gj->g", u, cov, u)
    logdet = len(y) * np.log(sigmas**2) + np.linalg.slogdet(np.eye(2) + prior_cov @ xtx / s2)[1]
    log_post = -0.5 * (logdet + quad) - 0.5 * (sigmas / scale) ** 2  # HalfNormal, up to a constant
    weights = np.exp(log_post - log_post.max())
    weights /= np.trapezoid(weights, sigmas)

    def integrate(values):
        return np.trapezoid(weights.reshape((-1,) + (1,) * (values.ndim - 1)) * values, sigmas, axis=0)

    mean_ab, mean_s = integrate(means), integrate(sigmas)
    var_ab = np.diag(integrate(second)) - mean_ab**2
    var_s = integrate(sigmas**2) - mean_s**2
    return {
        "a": (float(mean_ab[0]), float(np.sqrt(var_ab[0]))),
        "b": (float(mean_ab[1]), float(np.sqrt(var_ab[1]))),
        "sigma": (float(mean_s), float(np.sqrt(var_s))),
    }


# --------------------------------------------------------------------------
# Summaries the panels draw: densities, bands, test statistics
# --------------------------------------------------------------------------


@jax.jit
def _densities(priors: Priors, grids: dict[str, jax.Array]) -> dict[str, jax.Array]:
    return {site: jnp.exp(getattr(priors, site).log_prob(grid)) for site, grid in grids.items()}


def prior_densities(priors: Priors, grids: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Density of each prior on its grid, in one compiled call.

    Parameters
    ----------
    priors : Priors
        The priors.
    grids : mapping of str to array_like
        Points at which to evaluate each site's density, e.g. ``{"a": ..., "sigma": ...}``;
        points outside a prior's support get density 0.

    Returns
    -------
    dict of str to numpy.ndarray
        The densities, shaped like the grids.
    """
    priors = _check_priors(priors)
    unknown = set(grids) - set(_SITES)
    if unknown:
        raise ValueError(f"grids may only name {_SITES}; got {sorted(unknown)}")
    arrays = {site: as_data(f"grids[{site!r}]", grid) for site, grid in grids.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # NumPyro's out-of-support note
        densities = _to_numpy(_densities(priors, arrays))
    return {site: np.nan_to_num(d, nan=0.0, posinf=0.0) for site, d in densities.items()}


BAND_PERCENTILES = (2.5, 25.0, 50.0, 75.0, 97.5)


def predictive_bands(y) -> dict[str, np.ndarray]:
    """The 95% and 50% central bands and the median of draws, point by point.

    Parameters
    ----------
    y : array_like, shape (draws, points)
        Predictive draws.

    Returns
    -------
    dict of str to numpy.ndarray
        ``lower95``, ``lower50``, ``median``, ``upper50``, ``upper95``, each (points,).
    """
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[0] < 2:
        raise ValueError(f"y must have shape (draws >= 2, points); got {y.shape}")
    q = np.percentile(y, BAND_PERCENTILES, axis=0)
    return dict(zip(("lower95", "lower50", "median", "upper50", "upper95"), q, strict=True))


TEST_STATISTICS = ("mean", "sd", "min", "max", "quantile")


def summary_statistic(y, name: str, *, q: float = 0.9) -> np.ndarray:
    """A test statistic of each data set in `y` (the last axis is one data set).

    Parameters
    ----------
    y : array_like, shape (..., n)
        One data set, or many stacked.
    name : {"mean", "sd", "min", "max", "quantile"}
        The statistic.
    q : float
        For ``"quantile"``: which one, in [0, 1].

    Returns
    -------
    numpy.ndarray, shape (...)
        The statistic of each data set.
    """
    y = np.asarray(y, float)
    if name not in TEST_STATISTICS:
        raise ValueError(f"name must be one of {TEST_STATISTICS}; got {name!r}")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1]; got {q}")
    if name == "quantile":
        return np.quantile(y, q, axis=-1)
    return {"mean": np.mean, "sd": np.std, "min": np.min, "max": np.max}[name](y, axis=-1)


def predictive_pvalue(replicated, observed: float) -> float:
    """Share of replicated statistics at least as large as the observed one.

    Values near 0 or 1 mean the model rarely reproduces this feature of the data.
    Ties count half, so a discrete statistic is not pushed towards 1.
    """
    replicated = np.asarray(replicated, float)
    if replicated.size == 0:
        raise ValueError("replicated must hold at least one statistic")
    return float(np.mean(replicated > observed) + 0.5 * np.mean(replicated == observed))


# --------------------------------------------------------------------------
# NUTS, compiled once, sampled in chunks so progress can be reported
# --------------------------------------------------------------------------

# The run lengths one compiled sampler serves. num_warmup and num_samples are
# arguments of the compiled code, not part of it: draws are written into
# buffers of MAX_NUM_SAMPLES per chain (~36 bytes a draw) and the warmup
# windows are computed inside it, so any value in range reuses the program.
MAX_NUM_WARMUP = 10_000
MAX_NUM_SAMPLES = 10_000
# Draws per chain that one call of the compiled post-processing (constraining
# and log-likelihood) handles; a run's draws go through it a block at a time,
# so that its cost follows num_samples, not the buffers' capacity. Each call
# costs ~1 ms here whatever its size, hence large blocks. MAX_NUM_SAMPLES is a
# multiple: a block never reaches past the buffers (where JAX would shift it).
_FINISH_BLOCK = 1000
# Stan's warmup windows, as NumPyro's build_adaptation_schedule makes them: a
# fast start buffer, slow windows of doubling length, a fast end buffer.
_START_BUFFER, _END_BUFFER, _FIRST_SLOW_WINDOW = 75, 50, 25
# The slow windows (25, 50, 100, ... steps, the last one stretched to the end
# buffer) of the longest warmup fill MAX_NUM_WARMUP - 125 steps: at most this many.
_MAX_SLOW_WINDOWS = (
    math.ceil(math.log2((MAX_NUM_WARMUP - _START_BUFFER - _END_BUFFER) / _FIRST_SLOW_WINDOW + 1)) + 1
)

# What each iteration records, as ArviZ names its sample_stats.
_STATS = {
    "diverging": lambda s: s.diverging,
    "lp": lambda s: -s.potential_energy,
    "energy": lambda s: s.energy,
    "acceptance_rate": lambda s: s.accept_prob,
    "n_steps": lambda s: s.num_steps,
    "step_size": lambda s: s.adapt_state.step_size,
}


def _warmup_windows(num_warmup) -> tuple[jax.Array, jax.Array]:
    """NumPyro's warmup adaptation windows for a traced number of warmup steps.

    The same windows as ``numpyro.infer.hmc_util.build_adaptation_schedule``
    (Stan's rules: one window below 20 steps; else a fast start buffer of 75,
    slow windows of 25, 50, 100, ... steps, the last stretched to a fast end
    buffer of 50; buffers of 15% and 10% below 150 steps), computed with array
    operations so that `num_warmup` can be a traced value.

    Parameters
    ----------
    num_warmup : int or jax.Array
        Number of warmup steps, in [0, MAX_NUM_WARMUP].

    Returns
    -------
    ends : jax.Array, shape (_MAX_SLOW_WINDOWS + 2,)
        The last step of each window, in order; -1 past the last window.
        Windows are contiguous: each starts after the previous one's end.
    count : jax.Array
        The number of windows.
    """
    n = jnp.asarray(num_warmup, jnp.int32)
    short = n < _START_BUFFER + _END_BUFFER + _FIRST_SLOW_WINDOW
    # int(0.15 * n) and int(0.1 * n) in NumPyro; equal in integers for n < 150.
    start_buffer = jnp.where(short, 15 * n // 100, _START_BUFFER)
    end_buffer = jnp.where(short, n // 10, _END_BUFFER)
    window_size = jnp.where(short, n - start_buffer - end_buffer, _FIRST_SLOW_WINDOW)
    end_start = n - end_buffer
    ends, count = [start_buffer - 1], jnp.asarray(1, jnp.int32)
    window_start = start_buffer
    for _ in range(_MAX_SLOW_WINDOWS):  # NumPyro's while loop, unrolled and masked
        active = window_start < end_start
        doubles = 3 * window_size <= end_start - window_start
        size = jnp.where(doubles, window_size, end_start - window_start)
        ends.append(jnp.where(active, window_start + size - 1, -1))
        count = count + active
        window_size = jnp.where(active & doubles, 2 * window_size, window_size)
        window_start = jnp.where(active, window_start + size, window_start)
    ends = jnp.stack([*ends, jnp.asarray(-1, jnp.int32)]).at[count].set(n - 1)  # the end buffer
    few = n < 20  # Stan's rule for few steps: a single window
    ends = jnp.where(few, jnp.full_like(ends, -1).at[0].set(n - 1), ends)
    return ends, jnp.where(few, 1, count + 1)


_DA_INIT, _DA_UPDATE = dual_averaging()
_WELFORD_INIT, _WELFORD_UPDATE, _WELFORD_FINAL = welford_covariance(diagonal=True)


def _adapt(t, accept_prob, z, state: HMCAdaptState, schedule, target_accept_prob) -> HMCAdaptState:
    """One warmup step of NumPyro's adaptation, on a traced schedule.

    NumPyro's ``warmup_adapter(...)`` update, step for step, with the NUTS
    kernel's defaults (step size by dual averaging towards
    `target_accept_prob`, a diagonal mass matrix by Welford's method,
    regularized, refreshed at the end of each slow window), built from its
    own ``dual_averaging`` and ``welford_covariance``. Only the schedule
    ``(num_warmup, window ends, window count)`` is a traced argument here,
    where NumPyro builds it in Python from the number of warmup steps.
    """
    num_warmup, ends, num_windows = schedule
    step_size, inverse_mm, mm_sqrt, mm_sqrt_inv, da_state, mm_state, window, rng_key = state
    if rng_key is not None:  # NumPyro splits it once per step, as here
        rng_key, _ = jax.random.split(rng_key)
    da_state = _DA_UPDATE(target_accept_prob - accept_prob, da_state)
    log_step_size, log_step_size_avg, *_ = da_state
    # At the last warmup step, the average of the log step sizes.
    step_size = jnp.where(t == num_warmup - 1, jnp.exp(log_step_size_avg), jnp.exp(log_step_size))
    finfo = jnp.finfo(jnp.result_type(step_size))
    step_size = jnp.clip(step_size, finfo.tiny, finfo.max)
    slow = (0 < window) & (window < num_windows - 1)
    mm_state = jax.lax.cond(slow, lambda s: _WELFORD_UPDATE(z, s), lambda s: s, mm_state)
    window_ends = t == ends[window]
    window = jnp.where(window_ends, window + 1, window)
    state = HMCAdaptState(step_size, inverse_mm, mm_sqrt, mm_sqrt_inv, da_state, mm_state, window, rng_key)

    def end_of_slow_window(state):
        inverse_mm, mm_sqrt, mm_sqrt_inv = _WELFORD_FINAL(state.mm_state, regularize=True)
        if isinstance(inverse_mm, dict):
            size = {k: v.shape for k, v in inverse_mm.items()}
        else:
            size = inverse_mm.shape[-1]
        return state._replace(
            inverse_mass_matrix=inverse_mm,
            mass_matrix_sqrt=mm_sqrt,
            mass_matrix_sqrt_inv=mm_sqrt_inv,
            mm_state=_WELFORD_INIT(size),
            ss_state=_DA_INIT(jnp.log(10) + jnp.log(state.step_size)),
        )

    return jax.lax.cond(window_ends & slow, end_of_slow_window, lambda s: s, state)


def _record(state) -> dict[str, Any]:
    """What one iteration keeps: the unconstrained draw and its statistics."""
    return {"z": state.z, **{k: f(state) for k, f in _STATS.items()}}


def _chain_devices(chain_method: str, num_chains: int) -> int:
    """How many devices share the chains: the most that divide them evenly.

    Measured here on 2 cores with the tutorial's 4 host devices, spreading 4
    chains over all 4 re-fits faster than over 2 or than vmap on one.
    """
    devices = math.gcd(num_chains, jax.local_device_count())
    if chain_method == "parallel" and devices < 2:
        raise ValueError(
            f"chain_method='parallel' needs at least 2 devices that divide num_chains="
            f"{num_chains}; this process has {jax.local_device_count()} on "
            f"{os.cpu_count()} cores. Call "
            "numpyro.set_host_device_count(4) before anything uses JAX, or use "
            "chain_method='vectorized'"
        )
    return devices if chain_method in ("auto", "parallel") else 1


class _Sampler:
    """NUTS for one model and number of chains: jitted once, re-run on new arguments.

    The run length is an argument too: ``num_warmup`` (up to MAX_NUM_WARMUP)
    and the iteration bounds of ``advance`` are traced, draws go into buffers
    of MAX_NUM_SAMPLES per chain, and ``finish`` post-processes them a block
    at a time. So one compiled program serves every run length in range, and
    any split of a run into chunks gives the same draws as a single call.

    The transition is NumPyro's NUTS kernel with its own adaptation off (it
    would build its warmup schedule in Python from a fixed num_warmup, one
    program per value); :func:`_adapt` runs NumPyro's adaptation instead, on
    the schedule of :func:`_warmup_windows`. Draws equal NumPyro's own
    kernel run with the same key and run length.

    Chains run in lockstep on one device (``jax.vmap``), one after another
    (``jax.lax.map``), or split over several host devices (``jax.shard_map``),
    each device running its share in lockstep.

    Attributes
    ----------
    compiled_for : set
        The ``(data shape, prior family)`` signatures this sampler has run
        with: new ones compile the programs (or load them from JAX's cache).
    """

    def __init__(self, model, num_chains, chain_method):
        self.model = model
        self.num_chains = num_chains
        devices = _chain_devices(chain_method, num_chains)
        self.mesh = (
            jax.sharding.Mesh(np.array(jax.local_devices()[:devices]), ("chain",)) if devices > 1 else None
        )
        self.sequential = chain_method == "sequential"
        self.kernel = NUTS(_call_with_priors(model), adapt_step_size=False, adapt_mass_matrix=False)
        self.init = jax.jit(self._init)
        self.advance = jax.jit(self._advance, donate_argnums=(0, 1))
        self.finish = jax.jit(self._finish)
        self.compiled_for: set = set()

    def _map_chains(self, one_chain, batched, shared):
        """``one_chain(*batched[i], *shared)`` for each chain i, stacked."""
        if self.sequential:
            return jax.lax.map(lambda b: one_chain(*b, *shared), batched)
        axes = (0,) * len(batched) + (None,) * len(shared)
        vectorized = jax.vmap(one_chain, in_axes=axes)
        if self.mesh is None:
            return vectorized(*batched, *shared)
        if self.num_chains == self.mesh.size:
            # One chain per device needs no vmap, and tracing NUTS's nested while
            # loops under vmap takes ~10x longer (~1 s here): a cost paid even when
            # the compiled code comes from JAX's persistent cache.
            vectorized = functools.partial(_one_of_one, one_chain, len(batched))
        P = jax.sharding.PartitionSpec
        specs = (P("chain"),) * len(batched) + (P(),) * len(shared)
        # Chains share nothing across devices, so JAX's check of which values vary
        # per device (which NumPyro's lax.cond branches fail) can be off.
        sharded = jax.shard_map(
            vectorized, mesh=self.mesh, in_specs=specs, out_specs=P("chain"), check_vma=False
        )
        return sharded(*batched, *shared)

    def _init(self, seed, x, y, priors):
        keys = jax.random.split(jax.random.PRNGKey(seed), self.num_chains)

        def one_chain(key, x, y, priors):
            # NUTS.init on a whole batch of keys would vmap the kernel's stored
            # sample function once more at every retrace; one key at a time is safe.
            # num_warmup=0: the kernel itself never adapts (see _advance). Its
            # initial state does not depend on num_warmup.
            state = self.kernel.init(key, 0, None, (x, y, priors), {})
            buffers = jax.tree.map(
                lambda v: jnp.zeros((MAX_NUM_SAMPLES,) + jnp.shape(v), jnp.asarray(v).dtype),
                _record(state),
            )
            return state, buffers

        # Mapped like `advance`, so that every chunk gets its state laid out (sharded)
        # the same way and jit never compiles a second variant.
        return self._map_chains(one_chain, (keys,), (x, y, priors))

    def _advance(self, states, buffers, start, stop, num_warmup, target_accept_prob, x, y, priors):
        def one_chain(state, buffer, start, stop, num_warmup, target_accept_prob, x, y, priors):
            schedule = (num_warmup, *_warmup_windows(num_warmup))

            def body(i, carry):
                state, buffer = carry
                new = self.kernel.sample(state, (x, y, priors), {})
                warming = state.i < num_warmup
                adapt_state = jax.lax.cond(
                    warming,
                    lambda: _adapt(
                        state.i, new.accept_prob, new.z, state.adapt_state, schedule, target_accept_prob
                    ),
                    lambda: state.adapt_state,
                )
                # The mean acceptance restarts after warmup, as in NumPyro's kernel.
                n = jnp.where(warming, new.i, new.i - num_warmup)
                mean_accept = state.mean_accept_prob + (new.accept_prob - state.mean_accept_prob) / n
                state = new._replace(adapt_state=adapt_state, mean_accept_prob=mean_accept)
                j = jnp.clip(i - num_warmup, 0, MAX_NUM_SAMPLES - 1)
                keep = i >= num_warmup
                buffer = jax.tree.map(
                    lambda b, v: b.at[j].set(jnp.where(keep, v, b[j])), buffer, _record(state)
                )
                return state, buffer

            return jax.lax.fori_loop(start, stop, body, (state, buffer))

        shared = (start, stop, num_warmup, target_accept_prob, x, y, priors)
        states, buffers = self._map_chains(one_chain, (states, buffers), shared)
        # A small output that is ready when this chunk is, and is not donated
        # to the next chunk, so that it can be waited on.
        return states, buffers, states.i + 0

    def _finish(self, buffers, start, x, y, priors):
        """Draws ``start`` to ``start + _FINISH_BLOCK`` of each chain: constrained, with log-likelihoods."""
        block = jax.tree.map(lambda b: jax.lax.dynamic_slice_in_dim(b, start, _FINISH_BLOCK, axis=1), buffers)
        args = (x, y, priors)
        constrain = self.kernel.postprocess_fn(args, {})
        samples = jax.vmap(jax.vmap(constrain))(block["z"])
        loglik = _log_likelihood(_call_with_priors(self.model), samples, *args, batch_ndims=2, parallel=True)
        return samples, {k: block[k] for k in _STATS}, loglik

    def run(self, seed, num_warmup, num_samples, target_accept_prob, x, y, priors, progress=None):
        """Run the chains; return NumPy samples, statistics, log-likelihoods and the latent sites."""
        states, buffers = self.init(seed, x, y, priors)
        total = num_warmup + num_samples
        warmup, target = np.int32(num_warmup), np.float32(target_accept_prob)
        chunks = 1 if progress is None else self._progress_chunks(total)
        started = time.perf_counter()
        bounds = np.linspace(0, total, chunks + 1).round().astype(np.int32)
        # Dispatch every chunk at once: JAX runs them back to back without waiting
        # for Python, and no device waits for another between chunks. Then wait
        # for each chunk's small token in turn and report it.
        finished = []
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            states, buffers, token = self.advance(states, buffers, start, stop, warmup, target, x, y, priors)
            finished.append((stop, token))
        if progress is not None:
            for stop, token in finished:
                token.block_until_ready()
                progress(float(stop) / total)
        blocks = jax.device_get(
            [
                self.finish(buffers, np.int32(first), x, y, priors)
                for first in range(0, num_samples, _FINISH_BLOCK)
            ]
        )
        self.last_seconds = time.perf_counter() - started
        # Blocks side by side, cut to num_samples on the host (slicing on the
        # device would compile a program per length), copied when cut so that
        # the unused end of the last block is freed.
        samples, stats, loglik = (
            {
                k: np.ascontiguousarray(np.concatenate([b[part][k] for b in blocks], axis=1)[:, :num_samples])
                for k in blocks[0][part]
            }
            for part in range(3)
        )
        return samples, stats, loglik, tuple(sorted(samples))

    def _progress_chunks(self, total: int) -> int:
        """About PROGRESS_PER_SECOND reports per second of the previous run."""
        low, high = PROGRESS_CHUNKS
        wanted = round(getattr(self, "last_seconds", 0.0) * PROGRESS_PER_SECOND)
        return int(min(max(wanted, low), high, total))


def _one_of_one(one_chain, num_batched, *args):
    """``one_chain`` on a batch of exactly one chain, keeping the batch axis."""
    batched = jax.tree.map(lambda v: v[0], args[:num_batched])
    return jax.tree.map(lambda v: v[None], one_chain(*batched, *args[num_batched:]))


# Samplers by (model, num_chains, chain_method), least recently used first.
_SAMPLERS: dict[tuple, _Sampler] = {}
_MAX_SAMPLERS = 32


def _sampler(model, num_chains: int, chain_method: str) -> _Sampler:
    key = (model, num_chains, chain_method)
    sampler = _SAMPLERS.pop(key, None)
    if sampler is None:
        if len(_SAMPLERS) >= _MAX_SAMPLERS:
            del _SAMPLERS[next(iter(_SAMPLERS))]
        sampler = _Sampler(model, num_chains, chain_method)
    _SAMPLERS[key] = sampler
    return sampler


def _signature(x: np.ndarray, priors: Priors) -> tuple:
    """What, besides the sampler, decides its compiled programs: data shape, prior family."""
    return x.shape, jax.tree.structure(priors)


# --------------------------------------------------------------------------
# The result of a fit
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """What the convergence diagnostics say, in numbers and in words.

    Attributes
    ----------
    divergences : int
        Number of divergent transitions after warmup, over all chains.
    max_rhat : float
        Largest rank-normalized split R-hat over the parameters (NaN if undefined).
    min_ess_bulk : float
        Smallest bulk effective sample size over the parameters.
    warnings : tuple of str
        One plain sentence per problem found, each saying what to try.
    """

    divergences: int
    max_rhat: float
    min_ess_bulk: float
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether no warning sign was found."""
        return not self.warnings

    @property
    def verdict(self) -> str:
        """A plain-language verdict a panel can show."""
        if self.ok:
            return (
                f"No warning signs: no divergences, R-hat <= {RHAT_MAX} and bulk ESS >= "
                f"{ESS_MIN} for every parameter."
            )
        return " ".join(self.warnings)


def _diagnose(idata: az.InferenceData, var_names: list[str]) -> Diagnostics:
    divergences = int(idata.sample_stats["diverging"].sum())
    rhat = az.rhat(idata, var_names=var_names)
    ess = az.ess(idata, var_names=var_names, method="bulk")
    rhats = {v: float(rhat[v].max()) for v in var_names}
    esses = {v: float(ess[v].min()) for v in var_names}
    max_rhat = max(rhats.values())
    min_ess = min(esses.values())
    warnings = []
    if divergences:
        warnings.append(
            f"{divergences} divergent transitions: the sampler could not follow the "
            "posterior everywhere, so its draws may be biased. Try a higher "
            "target_accept_prob (e.g. 0.95), more informative priors, or a "
            "reparameterized model."
        )
    if not math.isnan(max_rhat) and max_rhat > RHAT_MAX:
        worst = max(rhats, key=rhats.get)
        warnings.append(
            f"R-hat of {worst} is {max_rhat:.3f} (> {RHAT_MAX}): the chains disagree. "
            "Run longer (more num_warmup and num_samples) and check the priors."
        )
    if min_ess < ESS_MIN:
        worst = min(esses, key=esses.get)
        warnings.append(
            f"Bulk ESS of {worst} is {min_ess:.0f} (< {ESS_MIN}): too few effective "
            "draws for reliable estimates. Draw more samples (num_samples) or chains."
        )
    return Diagnostics(divergences, max_rhat, min_ess, tuple(warnings))


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """The result of :func:`fit`: posterior draws and what ArviZ says of them.

    Attributes
    ----------
    samples : dict of str to numpy.ndarray
        Posterior draws, each of shape ``(chains, draws)`` (plus event dims).
    sample_stats : dict of str to numpy.ndarray
        Per-draw sampler statistics (``diverging``, ``lp``, ``energy``,
        ``acceptance_rate``, ``n_steps``, ``step_size``), shape ``(chains, draws)``.
    log_likelihood : dict of str to numpy.ndarray
        Pointwise log-likelihood of each observed site, ``(chains, draws, n)``.
    x, y : numpy.ndarray
        The data that were fitted.
    priors : Priors
        The priors that were used.
    model : callable
        The NumPyro model that was fitted.
    seed : int
        The seed of the run.
    """

    samples: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    log_likelihood: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    priors: Priors
    model: Callable
    seed: int
    latent_sites: tuple[str, ...]

    @classmethod
    def from_mcmc(
        cls, mcmc, x, y, *, model: Callable | None = None, priors: Priors = TUTORIAL_PRIORS, seed: int = 0
    ) -> Fit:
        """A Fit from a NumPyro ``MCMC`` that has run on ``(x, y)``.

        Lets the panels and checks use a run made the tutorial's way, without
        compiling a second sampler.

        Parameters
        ----------
        mcmc : numpyro.infer.MCMC
            A run of `model` on ``x=x, y=y``.
        x, y : array_like
            The data it was run on.
        model : callable, optional
            The model it ran; ``mcmc.sampler.model`` by default.
        priors : Priors
            The priors, if the model takes them.
        seed : int
            Seed for the Fit's own predictive draws.
        """
        if not hasattr(mcmc, "get_samples"):
            raise ValueError(f"mcmc must be a numpyro.infer.MCMC that has run; got {mcmc!r}")
        model = mcmc.sampler.model if model is None else model
        _check_model(model)
        _return_freed_memory()  # what compiling the MCMC run freed
        x_arr, y_arr = as_data("x", x), as_data("y", y)
        samples = _to_numpy(mcmc.get_samples(group_by_chain=True))
        stats = {"diverging": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])}
        bound = _call_with_priors(model)
        loglik = _log_likelihood(bound, samples, x_arr, y_arr, priors, batch_ndims=2, parallel=True)
        return cls(
            samples=samples,
            sample_stats=stats,
            log_likelihood=_to_numpy(loglik),
            x=x_arr,
            y=y_arr,
            priors=priors,
            model=model,
            seed=int(seed),
            latent_sites=tuple(sorted(samples)),
        )

    @functools.cached_property
    def idata(self) -> az.InferenceData:
        """The fit as ``arviz.InferenceData``.

        Groups: ``posterior``, ``sample_stats``, ``log_likelihood``,
        ``posterior_predictive`` (at the observed ``x``), ``observed_data`` and
        ``constant_data`` (``x``).
        """
        replicated = posterior_predictive(self, self.x, seed=self.seed)
        shape = next(iter(self.samples.values())).shape[:2]
        dims = {"y": ["obs"], "x": ["obs"]}
        return az.from_dict(
            posterior=self.samples,
            sample_stats=self.sample_stats,
            log_likelihood=self.log_likelihood,
            posterior_predictive={name: v.reshape(shape + v.shape[1:]) for name, v in replicated.items()},
            observed_data={"y": self.y},
            constant_data={"x": self.x},
            dims=dims,
        )

    def summary(self, var_names: list[str] | None = None, *, round_to: int | None = None):
        """ArviZ's summary table: mean, sd, 94% HDI, MCSE, bulk/tail ESS, R-hat.

        Parameters
        ----------
        var_names : list of str, optional
            Which parameters; all latent sites by default.
        round_to : int, optional
            Decimals to round to; full precision by default (ArviZ's own default
            of 2 would turn a Monte Carlo error of 0.001 into 0).

        Returns
        -------
        pandas.DataFrame
            One row per parameter.
        """
        return az.summary(
            self.idata,
            var_names=var_names or list(self.latent_sites),
            hdi_prob=HDI_PROB,
            round_to="none" if round_to is None else round_to,
        )

    @functools.cached_property
    def diagnostics(self) -> Diagnostics:
        """Divergences, worst R-hat and bulk ESS, and a verdict in words."""
        return _diagnose(self.idata, list(self.latent_sites))


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
    priors: Priors = TUTORIAL_PRIORS,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], Any] | None = None,
    *,
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
    priors: Priors = TUTORIAL_PRIORS,
    num_chains: int = 4,
    *,
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
