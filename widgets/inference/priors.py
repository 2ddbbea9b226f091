"""The regression's priors: ``Priors``, their checks, and their flattening for JAX.

``Priors`` is an immutable JAX pytree of three NumPyro distributions with
``float32`` parameters, so that new hyperparameters enter compiled code as
array arguments (no recompile) and a new family compiles once.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from numpyro.distributions import constraints

from widgets.inference.checks import _number, describe_constraint


_SITES = ("a", "b", "sigma")
_TUTORIAL = {
    "a": lambda: dist.Normal(0.0, 2.0),
    "b": lambda: dist.Normal(0.0, 2.0),
    "sigma": lambda: dist.HalfNormal(1.0),
}


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


def _check_priors(priors: Any) -> Priors:
    if not isinstance(priors, Priors):
        raise ValueError(
            f"priors must be a widgets.inference.Priors, e.g. Priors(a=dist.Normal(0.0, 5.0)); got {priors!r}"
        )
    return priors
