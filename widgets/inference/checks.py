"""Input checks at the boundary: what callers pass becomes arrays of fixed dtype, or a clear error.

Every public function of :mod:`widgets.inference` checks its arguments here
first, so that a wrong value fails with a sentence saying what was given and
what is allowed, not deep inside JAX.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np
from numpyro.distributions import constraints


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


def _check_model(model: Any) -> None:
    if not callable(model):
        raise ValueError(f"model must be a NumPyro model (a function); got {model!r}")


def _as_model_data(data: Any) -> tuple[dict[str, Any], tuple[tuple[str, int], ...]]:
    """Split a model's named data into arrays (traced) and integer sizes (static).

    Integer scalars (Python or NumPy, such as the eight schools' ``J``) are
    sizes: they may shape the model (``numpyro.plate("J", J)``), so each new
    value compiles anew. Everything else becomes an array of fixed dtype
    (float32, int32 or bool), so that new values of the same shape reuse the
    compiled code; ``None`` stays None (e.g. ``y=None`` to draw ``y``).
    """
    if not isinstance(data, dict) or not all(isinstance(name, str) for name in data):
        raise ValueError(
            "data must be a dict of the model's data arguments by name, e.g. "
            f"{{'x': x, 'y': y}}; got {data!r}"
        )
    arrays: dict[str, Any] = {}
    sizes: list[tuple[str, int]] = []
    for name, value in data.items():
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            sizes.append((name, int(value)))
        elif value is None:
            arrays[name] = None
        else:
            arrays[name] = _as_model_array(f"data[{name!r}]", value)
    return arrays, tuple(sorted(sizes))


def _as_model_array(name: str, value: Any) -> np.ndarray:
    """`value` as an array of fixed dtype: bool stays bool, integers int32, other numbers float32."""
    try:
        array = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers; got {value!r}") from err
    if array.dtype == bool:
        return array
    array = _numeric_array(name, value)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(np.int32)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise ValueError(f"{name} must hold integers in [{info.min}, {info.max}] (int32)")
        return array.astype(np.int32)
    bad = np.flatnonzero(~np.isfinite(array.ravel()))
    if bad.size:
        raise ValueError(
            f"{name} must be finite; got {array.ravel()[bad[0]]} at flat index {bad[0]}"
            + (f" and {bad.size - 1} more" if bad.size > 1 else "")
        )
    return array.astype(np.float32)


def _as_hyperparameters(hyperparameters: Any) -> dict[str, Any]:
    """A model's hyperparameters (a dict of pytrees) with float32 leaves: new values never recompile."""
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, dict) or not all(isinstance(k, str) for k in hyperparameters):
        raise ValueError(
            "hyperparameters must be a dict of the model's other arguments by name, e.g. "
            f"{{'priors': Priors()}}; got {hyperparameters!r}"
        )

    def leaf(value):
        array = _numeric_array("hyperparameters", value)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"hyperparameters must be finite numbers; got {value!r}")
        return array.astype(np.float32)

    return {name: jax.tree.map(leaf, value) for name, value in hyperparameters.items()}


def _check_arguments(model: Any, names: list[str], parameters: dict | None) -> None:
    """Check that `model` (with `parameters`, if Python can tell them) takes every name in `names`."""
    if parameters is None or any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    by_name = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError(
            f"the model {getattr(model, '__name__', model)} takes no argument named "
            f"{', '.join(map(repr, unknown))}; it takes {', '.join(by_name) or 'none'}"
        )
