"""Simulation-based calibration: parameters from the prior, data from them, a fit, the true value's rank.

:func:`run_sbc` calls a simulator written apart from the model (a NumPy
function of a random generator and the fixed data) for each simulation, fits
the model to every simulated data set with :func:`~widgets.inference.fit_many`
in chunks of a fixed number of simulations (so every chunk runs the same
compiled program, and a run can stop between chunks), and ranks each true
value among its posterior draws (Talts et al. 2018). If the simulator and the
fitting agree, the ranks are uniform. :class:`SBCResult` holds the ranks, the
per-fit diagnostics, the ECDF difference of the ranks with ArviZ's
simultaneous band (Säilynoja et al. 2022) and a verdict in words.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from arviz.stats.ecdf_utils import ecdf_confidence_band

from widgets.inference.batched import fit_many
from widgets.inference.checks import _as_count, _as_seed, _check_model
from widgets.inference.diagnostics import ess_bulk, rhat_rank

# Simulations fitted by one compiled program; a run is a whole number of chunks
# (the last one padded), so any number of simulations reuses the program.
# Measured here: 200 regression fits in chunks of 20 cost twice the CPU of chunks of 50 (each call has
# a fixed cost), and chunks of 50 as little as one batch of 200.
CHUNK_SIZE = 50
MAX_NUM_SIMULATIONS = 10_000
# The simultaneous band's probability, and how far outside it counts as a finding.
BAND_PROB = 0.95
# R-hat of one chain of ~100 kept draws (split in halves) varies by a few
# percent: the usual 1.01 would flag most good fits.
RHAT_SBC_MAX = 1.05


def _model_arguments(model: Callable) -> set[str]:
    try:
        return set(inspect.signature(model).parameters)
    except (TypeError, ValueError):
        return set()


def simulate_from_prior(
    simulator: Callable, data: Mapping[str, Any], *, num_simulations: int, seed: int, arguments: set[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Call ``simulator(rng, **data)`` once per simulation and split what it returns.

    Simulation i gets ``numpy.random.default_rng([seed, i])``, so it is the
    same whatever the number of simulations.

    Parameters
    ----------
    simulator : callable
        ``simulator(rng, **data)`` returning a dict: the parameters drawn from
        the prior and the simulated observations.
    data : dict of str to array_like
        The fixed data (e.g. the regression's ``x``).
    num_simulations : int
        How many simulations.
    seed : int
        Seed of the simulations.
    arguments : set of str
        The model's argument names: returned entries with these names are
        data, the others are true parameter values.

    Returns
    -------
    truth, simulated : dict of str to numpy.ndarray
        True values and simulated data, each with a leading axis of simulations.
    """
    rows = []
    for i in range(num_simulations):
        draw = simulator(np.random.default_rng([seed, i]), **data)
        if not isinstance(draw, Mapping) or not draw:
            raise ValueError(
                "simulator must return a dict of the parameters it drew and the data it simulated; "
                f"got {draw!r}"
            )
        rows.append(draw)
    names = list(rows[0])
    for row in rows[1:]:
        if list(row) != names:
            raise ValueError(f"simulator must return the same names every time; got {names} and {list(row)}")
    stacked = {name: np.stack([np.asarray(row[name], np.float64) for row in rows]) for name in names}
    for name, values in stacked.items():
        if not np.all(np.isfinite(values)):
            raise ValueError(f"simulator returned a value of {name!r} that is not a finite number")
    truth = {k: v for k, v in stacked.items() if k not in arguments}
    simulated = {k: v for k, v in stacked.items() if k in arguments}
    if not truth or not simulated:
        raise ValueError(
            "simulator must return both parameters (named as the model's sample sites) and data "
            f"(named as the model's arguments {sorted(arguments)}); got {names}"
        )
    return truth, simulated


def _split_chains(draws: np.ndarray) -> np.ndarray:
    """One chain of draws, ``(fit, 1, draw, ...)``, as two half chains, for R-hat."""
    fits, chains, num = draws.shape[:3]
    if chains > 1:
        return draws
    half = num // 2
    return draws[:, :, : 2 * half].reshape(fits, 2, half, *draws.shape[3:])


def _fit_diagnostics(samples: dict[str, np.ndarray], truth_names) -> dict[str, np.ndarray]:
    """Worst R-hat and bulk ESS per fit over the ranked parameters: ArviZ's numbers, all fits at once."""
    rhat, ess = [], []
    for name in truth_names:
        # (fit, chain, draw, ...) as (fit, ..., chain, draw), each entry of a vector site its own row.
        draws = np.moveaxis(_split_chains(samples[name]), (1, 2), (-2, -1))
        draws = draws.reshape(len(draws), -1, *draws.shape[-2:])
        rhat.append(rhat_rank(draws))
        ess.append(ess_bulk(draws))
    # A chain stuck at one value (the centered funnel's) has no variance: its R-hat
    # is NaN, which counts as poor R-hat below; the maximum keeps it.
    return {
        "max_rhat": np.concatenate(rhat, axis=1).max(axis=1),
        "min_ess_bulk": np.concatenate(ess, axis=1).min(axis=1),
    }


def _parameter_names(truth: dict[str, np.ndarray]) -> dict[str, tuple[str, tuple]]:
    """Each scalar parameter by a readable name: ``a``, or ``theta[3]`` for an entry of a vector site."""
    names = {}
    for site, values in truth.items():
        for index in np.ndindex(values.shape[1:]):
            label = site if not index else f"{site}[{','.join(map(str, index))}]"
            names[label] = (site, index)
    return names


def run_sbc(
    model: Callable,
    simulator: Callable,
    data: Mapping[str, Any],
    *,
    num_simulations: int = 100,
    seed: int = 0,
    num_warmup: int = 500,
    num_samples: int = 100,
    thin: int = 10,
    num_chains: int = 1,
    target_accept_prob: float = 0.8,
    progress: Callable[[float], Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SBCResult:
    """Simulation-based calibration of fitting `model` to data made by `simulator`.

    Each simulation draws parameters and data with `simulator`, fits `model`
    to the data with NUTS (:func:`~widgets.inference.fit_many`, in chunks of
    ``CHUNK_SIZE`` simulations, each chunk the same compiled program) and
    ranks each true value among the kept draws.

    Parameters
    ----------
    model : callable
        A NumPyro model taking the data as keyword arguments.
    simulator : callable
        ``simulator(rng, **data)``: draws the parameters from the prior with
        the NumPy generator `rng` and simulates the observations; returns a
        dict with both, parameters named as the model's sites, observations
        as the model's arguments. Write it apart from the model: SBC checks
        that the two agree.
    data : dict of str to array_like
        The fixed data every simulation shares (the regression's ``x``; the
        eight schools' ``J`` and ``sigma``).
    num_simulations : int
        Simulations, in [1, 10,000].
    seed : int
        Seed of the simulations and fits, in [0, 2**32).
    num_warmup : int
        Warmup iterations per chain.
    num_samples : int
        Kept draws per chain: ranks go from 0 to ``num_chains * num_samples``.
    thin : int
        Iterations per kept draw: each chain runs ``num_samples * thin``
        iterations after warmup. Thin until the bulk ESS is about the kept draws.
    num_chains : int
        Chains per fit.
    target_accept_prob : float
        NUTS' target acceptance probability, in (0, 1).
    progress : callable, optional
        Called with the fraction of simulations done, from 0 to 1.
    should_stop : callable, optional
        Asked between chunks; if it returns True the run stops and the result
        holds the simulations done so far.

    Returns
    -------
    SBCResult

    Raises
    ------
    ValueError
        If a count, seed or option is out of range, or the simulator returns
        something other than a dict of finite parameters and data.
    """
    _check_model(model)
    if not callable(simulator):
        raise ValueError(f"simulator must be a function simulator(rng, **data); got {simulator!r}")
    if not isinstance(data, Mapping):
        raise ValueError(f"data must be a dict of the model's fixed data; got {data!r}")
    num_simulations = _as_count("num_simulations", num_simulations, minimum=1, maximum=MAX_NUM_SIMULATIONS)
    _as_seed(seed)
    thin = _as_count("thin", thin, minimum=1, maximum=1000)
    num_samples = _as_count("num_samples", num_samples, minimum=4, maximum=10_000)
    truth, simulated = simulate_from_prior(
        simulator, data, num_simulations=num_simulations, seed=int(seed), arguments=_model_arguments(model)
    )
    fixed = {k: v for k, v in data.items() if k not in simulated}
    num_chunks = -(-num_simulations // CHUNK_SIZE)
    ranks, samples_kept, divergences, done = [], [], [], 0
    if progress is not None:
        progress(0.0)
    for chunk in range(num_chunks):
        if should_stop is not None and chunk > 0 and should_stop():
            break
        rows = np.arange(chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE)
        real = rows < num_simulations
        rows = np.minimum(rows, num_simulations - 1)  # the last chunk padded with its last simulation
        batch = {k: v[rows] for k, v in simulated.items()}
        for k, v in fixed.items():
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                batch[k] = v
            else:
                batch[k] = np.broadcast_to(np.asarray(v), (CHUNK_SIZE, *np.shape(v)))
        chunk_seed = int(np.random.SeedSequence([int(seed), chunk]).generate_state(1)[0])

        def chunk_progress(fraction, chunk=chunk):
            progress(min(1.0, (chunk * CHUNK_SIZE + fraction * CHUNK_SIZE) / num_simulations))

        fitted = fit_many(
            model,
            batch,
            seed=chunk_seed,
            num_warmup=num_warmup,
            num_samples=num_samples,
            num_chains=num_chains,
            target_accept_prob=target_accept_prob,
            thin=thin,
            progress=None if progress is None else chunk_progress,
        )
        chunk_truth = {k: v[rows] for k, v in truth.items()}
        ranks.append({k: v[real] for k, v in fitted.ranks(chunk_truth).items()})
        samples_kept.append({k: fitted.samples[k][real] for k in truth})
        divergences.append(fitted.divergences[real])
        done += int(real.sum())
    samples = {k: np.concatenate([s[k] for s in samples_kept]) for k in truth}
    return SBCResult(
        ranks={k: np.concatenate([r[k] for r in ranks]) for k in truth},
        truth={k: v[:done] for k, v in truth.items()},
        divergences=np.concatenate(divergences),
        diagnostics=_fit_diagnostics(samples, truth),
        max_rank=num_chains * num_samples,
        num_samples=num_chains * num_samples,
        thin=thin,
        seed=int(seed),
        stopped=done < num_simulations,
    )


@functools.lru_cache(maxsize=64)
def _band(num_simulations: int, max_rank: int, num_points: int) -> tuple[np.ndarray, ...]:
    """Evaluation points, the uniform ranks' CDF there, and ArviZ's simultaneous band around it."""
    points = np.arange(1, num_points + 1) / num_points
    # Fractional ranks (rank + 1) / (max_rank + 1) take max_rank + 1 equally likely values.
    cdf = np.floor(points * (max_rank + 1) + 1e-9) / (max_rank + 1)
    lower, upper = ecdf_confidence_band(num_simulations, points, cdf, prob=BAND_PROB, method="optimized")
    return points, cdf, lower, upper


@dataclasses.dataclass(frozen=True, eq=False)
class SBCResult:
    """What :func:`run_sbc` found: ranks, per-fit diagnostics and a verdict.

    Attributes
    ----------
    ranks : dict of str to numpy.ndarray
        Each site's true value's rank among its fit's kept draws, shape
        ``(simulation, ...)``, in [0, max_rank].
    truth : dict of str to numpy.ndarray
        The true values, shape ``(simulation, ...)``.
    divergences : numpy.ndarray, shape (simulation,)
        Divergent transitions of each fit after warmup.
    diagnostics : dict of str to numpy.ndarray
        ``max_rhat`` and ``min_ess_bulk`` of each fit over the ranked sites (ArviZ).
    max_rank : int
        The largest rank: the number of kept draws per fit.
    num_samples : int
        Kept draws per fit, all chains.
    thin : int
        Iterations per kept draw.
    seed : int
        Seed of the run.
    stopped : bool
        Whether the run stopped before every simulation was done.
    """

    ranks: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]
    divergences: np.ndarray
    diagnostics: dict[str, np.ndarray]
    max_rank: int
    num_samples: int
    thin: int
    seed: int
    stopped: bool

    @property
    def num_simulations(self) -> int:
        """Simulations done."""
        return len(self.divergences)

    @functools.cached_property
    def parameters(self) -> dict[str, np.ndarray]:
        """Ranks of each scalar parameter (``a``, ``theta[3]``), shape ``(simulation,)``."""
        return {
            label: self.ranks[site][(slice(None), *index)]
            for label, (site, index) in _parameter_names(self.ranks).items()
        }

    def rank_histogram(self, parameter: str, *, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts of `parameter`'s ranks in `bins` bins, and the count uniform ranks would give.

        Returns
        -------
        edges : numpy.ndarray, shape (bins + 1,)
            Bin edges on the rank scale, from 0 to ``max_rank + 1``.
        counts : numpy.ndarray, shape (bins,)
        expected : numpy.ndarray, shape (bins,)
            Expected counts under uniform ranks (bins may hold unequal numbers of ranks).
        """
        bins = _as_count("bins", bins, minimum=1, maximum=self.max_rank + 1)
        edges = np.linspace(0, self.max_rank + 1, bins + 1)
        counts, _ = np.histogram(self._ranks_of(parameter), bins=edges)
        integers_per_bin = np.diff(np.ceil(edges))
        expected = self.num_simulations * integers_per_bin / (self.max_rank + 1)
        return edges, counts, expected

    def ecdf_difference(self, parameter: str) -> dict[str, np.ndarray]:
        """The ECDF of `parameter`'s fractional ranks minus the uniform CDF, with the 95% simultaneous band.

        The band is ArviZ's ``ecdf_confidence_band(..., method="optimized")``
        (Säilynoja et al. 2022): with calibrated fits the whole curve stays
        inside it in 95% of runs.

        Returns
        -------
        dict of str to numpy.ndarray
            ``x`` (fractional rank), ``difference``, ``lower`` and ``upper``.
        """
        ranks = self._ranks_of(parameter)
        points, cdf, lower, upper = _band(len(ranks), self.max_rank, min(len(ranks), self.max_rank + 1, 100))
        fractional = (ranks + 1) / (self.max_rank + 1)
        ecdf = np.searchsorted(np.sort(fractional), points + 1e-9, side="right") / len(ranks)
        return {"x": points, "difference": ecdf - cdf, "lower": lower - cdf, "upper": upper - cdf}

    def _ranks_of(self, parameter: str) -> np.ndarray:
        if parameter not in self.parameters:
            raise ValueError(f"parameter must be one of {list(self.parameters)}; got {parameter!r}")
        return self.parameters[parameter]

    def finding(self, parameter: str) -> str:
        """What `parameter`'s ranks say, in words: calibrated, biased (which way), too narrow or too wide."""
        curve = self.ecdf_difference(parameter)
        difference = curve["difference"]
        outside = (difference < curve["lower"] - 1e-12) | (difference > curve["upper"] + 1e-12)
        if not outside.any():
            return f"{parameter}: ranks look uniform"
        u = (self._ranks_of(parameter) + 0.5) / (self.max_rank + 1)
        shift = (u.mean() - 0.5) / np.sqrt(1 / 12 / len(u))
        if abs(shift) > 3:
            way, truths = ("too high", "low") if shift < 0 else ("too low", "high")
            return f"{parameter}: biased, the posterior is {way} (true values sit {truths} among the draws)"
        if u.var() > 1 / 12:
            return f"{parameter}: posterior too narrow (ranks pile at both ends)"
        return f"{parameter}: posterior too wide (ranks pile in the middle)"

    @property
    def share_divergent(self) -> float:
        """Share of fits with at least one divergent transition."""
        return float(np.mean(self.divergences > 0))

    @property
    def share_poor_rhat(self) -> float:
        """Share of fits whose worst R-hat exceeds ``RHAT_SBC_MAX`` (1.05) or is NaN (a stuck chain)."""
        return float(np.mean(~(self.diagnostics["max_rhat"] <= RHAT_SBC_MAX)))

    @property
    def verdict(self) -> str:
        """The run in words: which parameters' ranks are not uniform, and the fits' diagnostics."""
        findings = [self.finding(p) for p in self.parameters]
        bad = [f for f in findings if not f.endswith("ranks look uniform")]
        lines = [
            f"{self.num_simulations} simulations{' (stopped early)' if self.stopped else ''}: "
            + ("every parameter's ranks look uniform." if not bad else "; ".join(bad) + ".")
        ]
        ess = np.nanmedian(self.diagnostics["min_ess_bulk"])
        lines.append(
            f"{self.share_divergent:.0%} of fits diverged, {self.share_poor_rhat:.0%} had "
            f"R-hat > {RHAT_SBC_MAX}; median bulk ESS {ess:.0f} of {self.num_samples} kept draws."
        )
        return " ".join(lines)
