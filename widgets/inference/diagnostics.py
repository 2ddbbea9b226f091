"""Convergence diagnostics of a fit: divergences, R-hat and bulk ESS, in numbers and in words."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from widgets.inference._arviz import az

RHAT_MAX = 1.01
ESS_MIN = 400


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
    divergences_per_chain : tuple of int
        Number of divergent transitions after warmup in each chain, in chain order.
    """

    divergences: int
    max_rhat: float
    min_ess_bulk: float
    warnings: tuple[str, ...]
    divergences_per_chain: tuple[int, ...] = ()

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
    per_chain = tuple(int(n) for n in idata.sample_stats["diverging"].sum("draw").values)
    divergences = sum(per_chain)
    # A chain that never moved makes ArviZ divide by zero (NaN, and NumPy's RuntimeWarning):
    # the NaN is reported below in words.
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = az.rhat(idata, var_names=var_names)
        ess = az.ess(idata, var_names=var_names, method="bulk")
    rhats = {v: float(rhat[v].max()) for v in var_names}
    esses = {v: float(ess[v].min()) for v in var_names}
    # NaN (a chain that never moved, draws not finite) is looked for first: max() skips it or
    # returns it depending on the order of the parameters.
    undefined = [v for v, r in rhats.items() if math.isnan(r)]
    defined = {v: r for v, r in rhats.items() if v not in undefined}
    max_rhat = math.nan if undefined else max(rhats.values())
    min_ess = min(esses.values())
    warnings = []
    if divergences:
        by_chain = f" (per chain: {', '.join(map(str, per_chain))})" if len(per_chain) > 1 else ""
        warnings.append(
            f"{divergences} divergent transition{'s' if divergences != 1 else ''}{by_chain}: the "
            "sampler could not follow the posterior everywhere, so its draws may be biased. Try a "
            "higher target_accept_prob (e.g. fit(..., target_accept_prob=0.95)), more informative "
            "priors, or a reparameterized model."
        )
    if undefined:
        warnings.append(
            f"R-hat of {', '.join(undefined)} is undefined: a chain may not have moved at all, or "
            "its draws are not finite. Look at the trace plot, then run longer or check the model."
        )
    if defined and max(defined.values()) > RHAT_MAX:
        worst = max(defined, key=defined.get)
        warnings.append(
            f"R-hat of {worst} is {defined[worst]:.3f} (> {RHAT_MAX}): the chains disagree. "
            "Run longer (more num_warmup and num_samples) and check the priors."
        )
    if min_ess < ESS_MIN:
        worst = min(esses, key=esses.get)
        warnings.append(
            f"Bulk ESS of {worst} is {min_ess:.0f} (< {ESS_MIN}): too few effective "
            "draws for reliable estimates. Draw more samples (num_samples) or chains."
        )
    return Diagnostics(divergences, max_rhat, min_ess, tuple(warnings), per_chain)


# Per-fit R-hat and bulk ESS of many fits at once. ArviZ 0.23's az.rhat and az.ess
# call their (chain, draw) function once per fit and parameter from Python (600
# calls for 200 fits of three parameters, each with its own rankdata and norm.ppf):
# what follows is the same arithmetic, step for step and in the same order, on a
# batch. Every sum runs along the last, contiguous axis, as it does in ArviZ's
# one-fit call, so NumPy adds in the same order and the numbers are identical
# (tests/inference/test_diagnostics.py checks them bit for bit against az.rhat and az.ess).


def _split_halves(draws: np.ndarray) -> np.ndarray:
    """ArviZ's ``_split_chains`` on a batch: each chain's first and last halves as chains."""
    half = draws.shape[-1] // 2
    return np.concatenate([draws[..., :half], draws[..., draws.shape[-1] - half :]], axis=-2)


def _z_scale(draws: np.ndarray) -> np.ndarray:
    """ArviZ's ``_z_scale`` of each ``(chain, draw)`` slice: normal scores of the ranks over all chains."""
    flat = draws.reshape(*draws.shape[:-2], -1)
    rank = stats.rankdata(flat, method="average", axis=-1, nan_policy="omit")
    size = flat.shape[-1]
    rank = (rank - 3 / 8) / (size - 2 * (3 / 8) + 1)
    return stats.norm.ppf(rank).reshape(draws.shape)


def _sum_last(values: np.ndarray) -> np.ndarray:
    return np.sum(np.ascontiguousarray(values), axis=-1)


def _variance_last(values: np.ndarray) -> np.ndarray:
    return np.var(np.ascontiguousarray(values), axis=-1, ddof=1)


def _rhat_of_chains(z: np.ndarray) -> np.ndarray:
    """ArviZ's ``_rhat`` (between- and within-chain variance) of each ``(chain, draw)`` slice."""
    num_samples = z.shape[-1]
    chain_mean = np.mean(z, axis=-1)
    chain_var = _variance_last(z)
    between_chain_variance = num_samples * _variance_last(chain_mean)
    within_chain_variance = np.mean(chain_var, axis=-1)
    return np.sqrt((between_chain_variance / within_chain_variance + num_samples - 1) / num_samples)


def _ess_of_chains(z: np.ndarray) -> np.ndarray:
    """ArviZ's ``_ess`` (Geyer's initial monotone sequence) of each ``(chain, draw)`` slice of `z`."""
    batch, (n_chain, n_draw) = z.shape[:-2], z.shape[-2:]
    z = z.reshape(-1, n_chain, n_draw)
    acov = az.stats.stats_utils.autocov(z, axis=-1)
    chain_mean = z.mean(axis=-1)
    mean_var = np.mean(np.ascontiguousarray(acov[..., 0]), axis=-1) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += _variance_last(chain_mean)
    # rho_hat at every lag, each the mean over chains as ArviZ takes it, one lag at a time.
    mean_acov = np.mean(np.ascontiguousarray(np.swapaxes(acov, -1, -2)), axis=-1)
    rho_all = 1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]

    rho_hat_t = np.zeros_like(rho_all)
    rho_hat_t[:, 0] = 1.0
    rho_hat_t[:, 1] = rho_all[:, 1]
    even, odd = np.ones(len(z)), rho_all[:, 1].copy()
    t = np.ones(len(z), int)
    # Geyer's initial positive sequence: each fit goes on while its last pair's sum is positive.
    going = np.ones(len(z), bool)
    for lag in range(1, n_draw - 3, 2):
        going &= (even + odd) > 0.0
        even = np.where(going, rho_all[:, lag + 1], even)
        odd = np.where(going, rho_all[:, lag + 2], odd)
        kept = going & ((even + odd) >= 0)
        rho_hat_t[kept, lag + 1] = even[kept]
        rho_hat_t[kept, lag + 2] = odd[kept]
        t = np.where(going, lag + 2, t)
    max_t = t - 2
    rows = np.arange(len(z))
    positive = even > 0
    rho_hat_t[rows[positive], max_t[positive] + 1] = even[positive]
    # Geyer's initial monotone sequence.
    for lag in range(1, n_draw, 2):
        if lag + 2 >= n_draw:
            break
        lower = (lag <= max_t - 2) & (
            (rho_hat_t[:, lag + 1] + rho_hat_t[:, lag + 2]) > (rho_hat_t[:, lag - 1] + rho_hat_t[:, lag])
        )
        rho_hat_t[lower, lag + 1] = (rho_hat_t[lower, lag - 1] + rho_hat_t[lower, lag]) / 2.0
        rho_hat_t[lower, lag + 2] = rho_hat_t[lower, lag + 1]

    ess = n_chain * n_draw
    # NumPy's sum of a prefix depends on its length: sum the fits with the same length together.
    head, tail = np.empty(len(z)), np.empty(len(z))
    for length in np.unique(max_t + 1):
        same = max_t + 1 == length
        head[same] = _sum_last(rho_hat_t[same, :length])
        tail[same] = _sum_last(rho_hat_t[same, length : length + 1])
    tau_hat = -1.0 + 2.0 * head + tail
    floor = 1 / np.log10(ess)
    tau_hat = np.where(floor > tau_hat, floor, tau_hat)  # Python's max(tau_hat, floor), NaN kept
    result = ess / tau_hat
    result[np.isnan(rho_hat_t).any(axis=-1)] = np.nan
    return result.reshape(batch)


def _batch(draws, *, min_chains: int) -> tuple[tuple[int, ...], np.ndarray | None, np.ndarray]:
    """Batch shape, draws with NaN slices zeroed (None: too few chains or draws), and which slices had NaN."""
    draws = np.asarray(draws)
    batch = draws.shape[:-2]
    if draws.ndim < 2 or draws.shape[-2] < min_chains or draws.shape[-1] < 4:
        return batch, None, np.ones(batch, bool)
    invalid = np.isnan(draws).any(axis=(-2, -1))
    return batch, np.where(invalid[..., None, None], 0, draws), invalid


def rhat_rank(draws: np.ndarray) -> np.ndarray:
    """Rank-normalized split R-hat of each slice ``(..., chain, draw)``, as ``az.rhat(method="rank")``.

    The numbers are those ArviZ 0.23 computes for each slice on its own
    (the larger of the bulk and folded split R-hat), from one vectorized pass.

    Parameters
    ----------
    draws : numpy.ndarray, shape (..., chain, draw)
        Draws of many scalar quantities, e.g. ``(fit, chain, draw)``.

    Returns
    -------
    numpy.ndarray, shape (...)
        R-hat of each; NaN where a slice holds a NaN, has fewer than 2
        chains or 4 draws, or has no variance (a chain stuck at one value).
    """
    batch, draws, invalid = _batch(draws, min_chains=2)
    if draws is None:
        return np.full(batch, np.nan)
    split = _split_halves(draws)
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat_bulk = _rhat_of_chains(_z_scale(split))
        median = np.median(split.reshape(*split.shape[:-2], -1), axis=-1)
        folded = abs(split - median[..., None, None])
        rhat_tail = _rhat_of_chains(_z_scale(folded))
    rhat = np.where(rhat_tail > rhat_bulk, rhat_tail, rhat_bulk)  # Python's max(bulk, tail), NaN kept
    return np.where(invalid, np.nan, rhat)


def ess_bulk(draws: np.ndarray) -> np.ndarray:
    """Bulk effective sample size of each slice ``(..., chain, draw)``, as ``az.ess(method="bulk")``.

    The numbers are those ArviZ 0.23 computes for each slice on its own
    (the ESS of the rank-normalized split chains), from one vectorized pass.

    Parameters
    ----------
    draws : numpy.ndarray, shape (..., chain, draw)
        Draws of many scalar quantities, e.g. ``(fit, chain, draw)``.

    Returns
    -------
    numpy.ndarray, shape (...)
        Bulk ESS of each; the number of draws for a slice with no variance;
        NaN where a slice holds a NaN or has fewer than 4 draws.
    """
    batch, draws, invalid = _batch(draws, min_chains=1)
    if draws is None:
        return np.full(batch, np.nan)
    z = _z_scale(_split_halves(draws))
    flat = z.reshape(*batch, -1)
    constant = (np.max(flat, axis=-1) - np.min(flat, axis=-1)) < np.finfo(float).resolution
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = _ess_of_chains(z)
    ess = np.where(constant, flat.shape[-1], ess)
    return np.where(invalid, np.nan, ess)
