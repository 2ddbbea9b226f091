"""Batched fits: many data sets fitted by one compiled NUTS program, as simulation-based calibration needs.

:func:`fit_many` runs NumPyro's NUTS kernel, with the adaptation of
:mod:`widgets.inference.adaptation`, on every data set of a batch at once
(``jax.vmap`` over the data sets and over the chains), the fits split over the
host devices when several divide their number. The run goes in chunks that
carry the sampler state from one to the next, with progress reported in
between. :class:`BatchedFit` holds the draws of every fit and its diagnostics,
ArviZ's numbers, computed for all fits at once.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from numpyro.infer import NUTS

from widgets.inference._arviz import az
from widgets.inference.adaptation import MAX_NUM_WARMUP, _adapt, _warmup_windows
from widgets.inference.checks import _as_count, _as_model_data, _as_seed, _check_model
from widgets.inference.diagnostics import ess_bulk as _ess_bulk
from widgets.inference.diagnostics import rhat_rank as _rhat_rank
from widgets.inference.sampler import _STATS, PROGRESS_CHUNKS, PROGRESS_PER_SECOND, _record

# Kept draws per chain: the draw buffers have this length, so it is part of the
# compiled program; bounded so that num_warmup + num_samples * thin fits in int32.
MAX_NUM_DRAWS = 100_000
MAX_THIN = 1_000
# With a progress callback, chunks as fit makes them: PROGRESS_PER_SECOND of
# the previous run of the same sampler, within PROGRESS_CHUNKS. Each kept
# iteration records what fit's records (sampler._STATS, ArviZ's names).


class _BatchedSampler:
    """NUTS over a batch of data sets for one model and number of chains.

    ``jax.jit`` compiles each program once per data shapes and dtypes, number
    of kept draws and device split; the seed, ``num_warmup``, ``thin``,
    ``target_accept_prob`` and a chunk's iteration bounds are traced arguments.
    """

    def __init__(self, model: Callable, num_chains: int):
        self.num_chains = num_chains
        # The kernel's own adaptation is off: it would build its schedule in Python
        # from num_warmup, one program per value. _adapt runs it on a traced schedule.
        self.kernel = NUTS(model, adapt_step_size=False, adapt_mass_matrix=False)
        self.init = jax.jit(self._init, static_argnames=("sizes", "num_samples", "devices"))
        self.advance = jax.jit(self._advance, static_argnames=("sizes", "devices"), donate_argnums=(0,))
        self.finish = jax.jit(self._finish, static_argnames=("sizes", "devices"))
        # The three programs compiled ahead of time, by data shapes and dtypes, sizes,
        # kept draws and device split (see _programs).
        self.compiled: dict[tuple, tuple[Any, Any, Any]] = {}
        self.last_seconds = 0.0

    def _programs(self, seed, data, sizes, num_samples, devices, advance_args):
        """The compiled init, advance and finish programs for these shapes: compiled at once if new.

        XLA compiles the three side by side, init and finish in threads while
        advance, the longest, compiles here (XLA releases the GIL): on the
        first run the wait is about advance's compile alone, not the sum.
        `advance_args` are the arguments of one advance call after the carry
        and data (only their types matter).
        """
        key = (tuple((k, v.shape, v.dtype.str) for k, v in sorted(data.items())), sizes, num_samples, devices)
        if key in self.compiled:
            return self.compiled[key]
        init = self.init.lower(seed, data, sizes=sizes, num_samples=num_samples, devices=devices)
        # What init hands to advance: its outputs' shapes, laid out as _map_chains lays them out.
        if devices > 1:
            mesh = jax.sharding.Mesh(np.array(jax.local_devices()[:devices]), ("chain",))
            layout = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("chain"))
        else:
            layout = None
        carry = jax.tree.map(lambda v: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=layout), init.out_info)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            init_compiled = pool.submit(init.compile)
            finish = self.finish.lower(carry[1], data, sizes=sizes, devices=devices)
            finish_compiled = pool.submit(finish.compile)
            advance = self.advance.lower(carry, data, *advance_args, sizes=sizes, devices=devices).compile()
            programs = (init_compiled.result(), advance, finish_compiled.result())
        self.compiled[key] = programs
        return programs

    @staticmethod
    def _map_chains(one_chain, batched, shared, devices):
        """``one_chain(*batched[k], *shared)`` for each chain k of every fit, split over `devices` devices.

        The chains of all fits lie along one axis, fit by fit (chain k is fit
        ``k // num_chains``): one ``jax.vmap`` over them, where a vmap over fits
        around a vmap over chains would trace NUTS's nested while loops under
        two batching levels, several times longer. Each
        device runs its share in lockstep: with the host devices the lessons set
        up, every core gets chains to run, and each lockstep group waits on
        fewer slow chains.
        """
        vectorized = jax.vmap(one_chain, in_axes=(0,) * len(batched) + (None,) * len(shared))
        if devices == 1:
            return vectorized(*batched, *shared)
        mesh = jax.sharding.Mesh(np.array(jax.local_devices()[:devices]), ("chain",))
        P = jax.sharding.PartitionSpec
        specs = (P("chain"),) * len(batched) + (P(),) * len(shared)
        # Chains share nothing across devices, so JAX's check of which values vary
        # per device (which NumPyro's lax.cond branches fail) can be off.
        sharded = jax.shard_map(vectorized, mesh=mesh, in_specs=specs, out_specs=P("chain"), check_vma=False)
        return sharded(*batched, *shared)

    def _per_chain(self, data):
        """Each fit's data repeated for each of its chains: leading axis fit * chain."""
        if self.num_chains == 1:
            return data
        return jax.tree.map(lambda v: jnp.repeat(v, self.num_chains, axis=0), data)

    def _init(self, seed, data, *, sizes, num_samples, devices):
        num_fits = jax.tree.leaves(data)[0].shape[0]
        key = jax.random.PRNGKey(seed)
        # Fit i's keys depend on the seed and i only, not on the batch size.
        keys = jax.vmap(lambda i: jax.random.split(jax.random.fold_in(key, i), self.num_chains))(
            jnp.arange(num_fits)
        ).reshape(num_fits * self.num_chains, -1)

        def one_chain(key, data):
            # One key at a time: NUTS.init on a batch of keys would wrap the
            # kernel's stored sample function in vmap once more per trace.
            state = self.kernel.init(key, 0, None, (), {**data, **dict(sizes)})
            buffers = jax.tree.map(
                lambda v: jnp.zeros((num_samples,) + jnp.shape(v), jnp.asarray(v).dtype), _record(state)
            )
            return state, buffers, jnp.zeros((), jnp.int32)

        return self._map_chains(one_chain, (keys, self._per_chain(data)), (), devices)

    def _advance(self, carry, data, start, stop, num_warmup, thin, target_accept_prob, *, sizes, devices):
        def one_chain(carry, data, start, stop, num_warmup, thin, target_accept_prob):
            schedule = (num_warmup, *_warmup_windows(num_warmup))

            def body(i, carry):
                state, buffers, divergences = carry
                new = self.kernel.sample(state, (), {**data, **dict(sizes)})
                # The loop index (state.i too), shared by every chain: under vmap the
                # cond stays a branch, so _adapt is skipped after warmup.
                warming = i < num_warmup
                adapt_state = jax.lax.cond(
                    warming,
                    lambda: _adapt(
                        i, new.accept_prob, new.z, state.adapt_state, schedule, target_accept_prob
                    ),
                    lambda: state.adapt_state,
                )
                # The mean acceptance restarts after warmup, as in NumPyro's kernel.
                n = jnp.where(warming, new.i, new.i - num_warmup)
                mean_accept = state.mean_accept_prob + (new.accept_prob - state.mean_accept_prob) / n
                state = new._replace(adapt_state=adapt_state, mean_accept_prob=mean_accept)
                after = i - num_warmup
                # Every thin-th iteration after warmup is kept, the last of each run of thin.
                keep = (after >= 0) & (after % thin == thin - 1)
                j = jnp.clip(after // thin, 0, jax.tree.leaves(buffers)[0].shape[0] - 1)
                buffers = jax.tree.map(
                    lambda b, v: b.at[j].set(jnp.where(keep, v, b[j])), buffers, _record(state)
                )
                # Divergences of every iteration after warmup, kept or thinned away.
                divergences = divergences + ((after >= 0) & state.diverging)
                return state, buffers, divergences

            return jax.lax.fori_loop(start, stop, body, carry)

        shared = (start, stop, num_warmup, thin, target_accept_prob)
        carry = self._map_chains(one_chain, (carry, self._per_chain(data)), shared, devices)
        # A small output that is ready when this chunk is, and is not donated
        # to the next chunk, so that it can be waited on.
        return carry, carry[0].i + 0

    def _finish(self, buffers, data, *, sizes, devices):
        """The kept draws constrained, deterministic sites included: (fit * chain, draw, ...)."""

        def one_chain(z, data):
            return jax.vmap(self.kernel.postprocess_fn((), {**data, **dict(sizes)}))(z)

        return self._map_chains(one_chain, (buffers["z"], self._per_chain(data)), (), devices)

    def run(self, seed, data, sizes, num_warmup, num_samples, thin, target_accept_prob, progress):
        """Run every fit: NumPy draws and statistics ``(fit, chain, draw, ...)``, divergences per fit."""
        num_fits = next(iter(data.values())).shape[0]
        devices = math.gcd(num_fits, jax.local_device_count())
        total = num_warmup + num_samples * thin
        chunks = 1 if progress is None else self._progress_chunks(total)
        bounds = np.linspace(0, total, chunks + 1).round().astype(np.int32)
        args = (np.int32(num_warmup), np.int32(thin), np.float32(target_accept_prob))
        init, advance, finish = self._programs(seed, data, sizes, num_samples, devices, (*bounds[:2], *args))
        carry = init(seed, data)
        started = time.perf_counter()
        # Dispatch every chunk at once: JAX runs them back to back without waiting
        # for Python; then wait for each chunk's token in turn and report it.
        finished = []
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            carry, token = advance(carry, data, start, stop, *args)
            finished.append((stop, token))
        if progress is not None:
            for stop, token in finished:
                token.block_until_ready()
                progress(float(stop) / total)
        _, buffers, divergences = carry
        samples = finish(buffers, data)
        samples, stats, divergences = jax.device_get((samples, {k: buffers[k] for k in _STATS}, divergences))
        self.last_seconds = time.perf_counter() - started

        def by_fit(values):
            return values.reshape(num_fits, self.num_chains, *values.shape[1:])

        samples, stats = ({k: by_fit(v) for k, v in part.items()} for part in (samples, stats))
        return samples, stats, by_fit(divergences).sum(axis=1)

    def _progress_chunks(self, total: int) -> int:
        low, high = PROGRESS_CHUNKS
        wanted = round(self.last_seconds * PROGRESS_PER_SECOND)
        return int(min(max(wanted, low), high, total))


# Samplers by (model, num_chains), least recently used first.
_SAMPLERS: dict[tuple, _BatchedSampler] = {}
_MAX_SAMPLERS = 16


def _sampler(model: Callable, num_chains: int) -> _BatchedSampler:
    key = (model, num_chains)
    sampler = _SAMPLERS.pop(key, None)
    if sampler is None:
        if len(_SAMPLERS) >= _MAX_SAMPLERS:
            del _SAMPLERS[next(iter(_SAMPLERS))]
        sampler = _BatchedSampler(model, num_chains)
    _SAMPLERS[key] = sampler
    return sampler


def _as_batched_data(data: Any) -> tuple[dict[str, np.ndarray], tuple[tuple[str, int], ...]]:
    """Check `data`: named arrays (float32 or int32) with one row per fit, and integer sizes.

    Split and converted as :func:`fit_model` takes a model's data
    (:func:`~widgets.inference.checks._as_model_data`): integer scalars (the
    eight schools' ``J``) are sizes shared by every fit, compiled in. Every
    other entry must be an array of numbers with a leading axis of fits.
    Raise a ValueError for anything else.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            "data must be a non-empty dict of the model's argument names to arrays with one row per "
            f"fit; got {data!r}"
        )
    for name in data:
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"data's keys must be the model's argument names; got {name!r}")
    arrays, sizes = _as_model_data(dict(data))
    for name, array in arrays.items():
        label = f"data[{name!r}]"
        if array is None or array.dtype == bool:
            raise ValueError(f"{label} must be an array of numbers; got {data[name]!r}")
        if array.ndim == 0 or array.shape[0] == 0:
            raise ValueError(
                f"{label} must have a leading axis of one row per fit (at least one); got shape {array.shape}"
            )
    if not arrays:
        raise ValueError(f"data needs at least one array with one row per fit; got only sizes {data!r}")
    fits = {name: array.shape[0] for name, array in arrays.items()}
    if len(set(fits.values())) > 1:
        raise ValueError(
            "data must have the same number of fits (leading axis) in every entry; got "
            + ", ".join(f"{name}: {size}" for name, size in fits.items())
        )
    return arrays, sizes


def fit_many(
    model: Callable,
    data: Mapping[str, Any],
    *,
    seed: int = 0,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept_prob: float = 0.8,
    thin: int = 1,
    progress: Callable[[float], Any] | None = None,
) -> BatchedFit:
    """Fit `model` to every data set of a batch with NUTS, in one compiled program.

    Fit i runs ``model(**{name: value[i] for name, value in data.items()})``
    with `num_chains` chains of NumPyro's NUTS and the kit's warmup adaptation
    (a step size and diagonal mass matrix per chain, as :func:`fit` adapts).
    All fits and chains run in lockstep (``jax.vmap``), split over the host
    devices when several divide the number of fits.

    The program is compiled once per model, data shapes and dtypes, integer
    sizes, number of chains and `num_samples`; new data of the same shapes, a new seed,
    `num_warmup` (up to ``MAX_NUM_WARMUP``), `thin`, `target_accept_prob` or
    `progress` all reuse it.

    Parameters
    ----------
    model : callable
        A NumPyro model taking the data as keyword arguments.
    data : dict of str to array_like
        The model's arguments, each with a leading axis of one row per fit
        (a 1-D array gives one number per fit). Repeat an array shared by
        every fit (``np.broadcast_to``). Integer arrays become int32, other
        numbers float32; values must be finite. An integer scalar is a size
        shared by every fit (the eight schools' ``J``), compiled in.
    seed : int
        Seed of the run, in [0, 2**32). Fit i's chains get keys from the
        seed and i alone.
    num_warmup : int
        Warmup (adaptation) iterations per chain, in [0, MAX_NUM_WARMUP] (10,000); discarded.
    num_samples : int
        Kept draws per chain, in [1, 100,000].
    num_chains : int
        Chains per fit, >= 1.
    target_accept_prob : float
        NUTS' target acceptance probability, in (0, 1).
    thin : int
        Iterations per kept draw after warmup, in [1, 1000]: each chain runs
        ``num_warmup + num_samples * thin`` iterations and keeps every
        `thin`-th. Thin until the bulk ESS is about the number of kept draws
        when ranks must come from nearly independent draws (SBC).
    progress : callable, optional
        Called with the fraction done: 0 at the start, then after each chunk
        of the run (at least 4, about 4 per second of the previous run), ending with 1.0.

    Returns
    -------
    BatchedFit
        Per-fit draws ``(fit, chain, draw, ...)``, statistics, divergence
        counts and ArviZ diagnostics.

    Raises
    ------
    ValueError
        If `data` is not a dict of finite numeric arrays with the same number
        of fits, or a count, seed or option is out of range.
    """
    _check_model(model)
    arrays, sizes = _as_batched_data(data)
    num_chains = _as_count("num_chains", num_chains, minimum=1)
    num_warmup = _as_count("num_warmup", num_warmup, minimum=0, maximum=MAX_NUM_WARMUP)
    num_samples = _as_count("num_samples", num_samples, minimum=1, maximum=MAX_NUM_DRAWS)
    thin = _as_count("thin", thin, minimum=1, maximum=MAX_THIN)
    if not (isinstance(target_accept_prob, (int, float)) and 0 < target_accept_prob < 1):
        raise ValueError(f"target_accept_prob must be in (0, 1); got {target_accept_prob!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a function of the fraction done; got {progress!r}")
    seed_array = _as_seed(seed)
    if progress is not None:
        progress(0.0)
    samples, stats, divergences = _sampler(model, num_chains).run(
        seed_array, arrays, sizes, num_warmup, num_samples, thin, target_accept_prob, progress
    )
    return BatchedFit(
        samples=samples,
        sample_stats=stats,
        divergences=divergences,
        data={**arrays, **dict(sizes)},
        model=model,
        seed=int(seed),
        thin=thin,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class BatchedFit:
    """The result of :func:`fit_many`: each fit's draws and what ArviZ says of them.

    Attributes
    ----------
    samples : dict of str to numpy.ndarray
        Draws of each latent and deterministic site, shape ``(fit, chain, draw, ...)``.
    sample_stats : dict of str to numpy.ndarray
        Statistics of each kept draw (``diverging``, ``lp``, ``energy``,
        ``acceptance_rate``, ``n_steps``, ``step_size``), shape ``(fit, chain, draw)``.
    divergences : numpy.ndarray, shape (fit,)
        Divergent transitions of each fit after warmup, over all chains and
        every iteration (thinned away or kept).
    data : dict of str to numpy.ndarray or int
        The data that were fitted, one row per fit, and the sizes shared by every fit.
    model : callable
        The NumPyro model.
    seed : int
        The seed of the run.
    thin : int
        Iterations per kept draw.
    """

    samples: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    divergences: np.ndarray
    data: dict[str, np.ndarray | int]
    model: Callable
    seed: int
    thin: int

    @property
    def num_fits(self) -> int:
        """Number of data sets fitted."""
        return len(self.divergences)

    @functools.cached_property
    def idata(self) -> az.InferenceData:
        """Every fit as one ``arviz.InferenceData`` with a ``fit`` dimension.

        Groups ``posterior`` and ``sample_stats``; select one fit with
        ``idata.isel(fit=i)``.
        """

        def by_chain(values):  # ArviZ wants (chain, draw, ...): fit goes after draw
            return {k: np.moveaxis(v, 0, 2) for k, v in values.items()}

        values = {**self.samples, **self.sample_stats}
        dims = {k: ["fit", *(f"{k}_dim_{i}" for i in range(v.ndim - 3))] for k, v in values.items()}
        return az.from_dict(
            posterior=by_chain(self.samples),
            sample_stats=by_chain(self.sample_stats),
            dims=dims,
            coords={"fit": np.arange(self.num_fits)},
        )

    def _per_fit(self, statistic: Callable[[np.ndarray], np.ndarray]) -> xr.Dataset:
        """`statistic` of every slice ``(chain, draw)`` of each site, as a Dataset shaped like ArviZ's."""
        posterior = self.idata.posterior
        values = {}
        for name, draws in self.samples.items():
            # (fit, chain, draw, ...) as (fit, ..., chain, draw): one vectorized pass over every fit.
            template = posterior[name].isel(chain=0, draw=0, drop=True)
            values[name] = template.copy(data=statistic(np.moveaxis(draws, (1, 2), (-2, -1))))
        return xr.Dataset(values)

    @functools.cached_property
    def rhat(self) -> xr.Dataset:
        """Rank-normalized split R-hat of each site and fit, dims ``(fit, ...)``.

        ``az.rhat(self.idata)``'s numbers, computed for all fits at once
        (:func:`~widgets.inference.diagnostics.rhat_rank`) where ArviZ loops over fits.
        """
        return self._per_fit(_rhat_rank)

    @functools.cached_property
    def ess_bulk(self) -> xr.Dataset:
        """Bulk effective sample size of each site and fit, dims ``(fit, ...)``.

        ``az.ess(self.idata, method="bulk")``'s numbers, computed for all fits at
        once (:func:`~widgets.inference.diagnostics.ess_bulk`).
        """
        return self._per_fit(_ess_bulk)

    @functools.cached_property
    def diagnostics(self) -> xr.Dataset:
        """One row per fit: ``divergences``, ``max_rhat`` and ``min_ess_bulk`` over every site.

        R-hat of a site that never moves (NaN) is left out of the maximum.
        """

        def worst(dataset, reduce):
            per_site = [reduce(dataset[k], [d for d in dataset[k].dims if d != "fit"]) for k in dataset]
            return reduce(xr.concat(per_site, "site"), "site")

        return xr.Dataset(
            {
                "divergences": ("fit", self.divergences),
                "max_rhat": worst(self.rhat, lambda v, dims: v.max(dims)),
                "min_ess_bulk": worst(self.ess_bulk, lambda v, dims: v.min(dims)),
            },
            coords={"fit": np.arange(self.num_fits)},
        )

    def ranks(self, truth: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """SBC ranks: how many of each fit's draws (all chains) fall below the true value.

        Parameters
        ----------
        truth : dict of str to array_like
            The values the data were simulated from, one row per fit, shaped
            like the site's draws without the chain and draw axes.

        Returns
        -------
        dict of str to numpy.ndarray
            Ranks in [0, chains * draws], shape ``(fit, ...)``; uniform over
            that range when the fits are calibrated and draws are independent.

        Raises
        ------
        ValueError
            If a name is not a sampled site or a shape does not match.
        """
        ranks = {}
        for name, value in truth.items():
            if name not in self.samples:
                raise ValueError(
                    f"truth names sites of the model; {name!r} is not among {sorted(self.samples)}"
                )
            draws = self.samples[name]
            expected = draws.shape[:1] + draws.shape[3:]
            value = np.asarray(value)
            if value.shape != expected:
                raise ValueError(f"truth[{name!r}] must have shape {expected} (fit, ...); got {value.shape}")
            ranks[name] = (draws < value[:, None, None]).sum(axis=(1, 2))
        return ranks
