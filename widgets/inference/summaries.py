"""Summaries the panels draw: prior densities, predictive bands, test statistics, p-values."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from widgets.inference.checks import as_data
from widgets.inference.compiled import _to_numpy
from widgets.inference.priors import _SITES, Priors, _check_priors


@jax.jit
def _densities(priors: Priors, grids: dict[str, jax.Array]) -> dict[str, jax.Array]:
    def density(prior, grid):
        # Compiled, log_prob does not check the support: HalfNormal's would give the density of |x|.
        # The support's closure counts (a curve drawn from 0 starts at HalfNormal's density at 0).
        up, down = jnp.nextafter(grid, jnp.inf), jnp.nextafter(grid, -jnp.inf)
        inside = prior.support.check(grid) | prior.support.check(up) | prior.support.check(down)
        return jnp.where(inside, jnp.exp(prior.log_prob(grid)), 0.0)

    return {site: density(getattr(priors, site), grid) for site, grid in grids.items()}


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


def spread_draws(total: int, count: int) -> np.ndarray:
    """Indices of `count` of `total` draws, spread evenly from the first to the last.

    Draws stacked chain by chain (as a fit's are) are then taken from every
    chain and every stretch of each, not from the start of the first chain.

    Parameters
    ----------
    total : int
        Number of draws, >= 1.
    count : int
        How many to take, in [1, total].

    Returns
    -------
    numpy.ndarray of int, shape (count,)
        Increasing indices from 0 to ``total - 1``, all different.
    """
    if not 1 <= count <= total:
        raise ValueError(f"count must be in [1, total={total}]; got {count}")
    return np.linspace(0, total - 1, count).round().astype(int)


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
