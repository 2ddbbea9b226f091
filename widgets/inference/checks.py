"""Input checks at the boundary: what callers pass becomes arrays of fixed dtype, or a clear error.

Every public function of :mod:`widgets.inference` checks its arguments here
first, so that a wrong value fails with a sentence saying what was given and
what is allowed, not deep inside JAX.
"""

from __future__ import annotations

import math
from typing import Any

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
