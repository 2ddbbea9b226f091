"""The chunked NUTS engine: compiled once per model and chain layout, run in chunks for progress.

:class:`_Sampler` runs NumPyro's NUTS kernel with the adaptation of
:mod:`widgets.inference.adaptation`, so that the run length is an argument of
the compiled code; the chains run vectorized, sequentially or split over host
devices. Samplers are kept by ``(model, num_chains, chain_method)``.

A model is called with named arguments, ``model(**data, **sizes,
**hyperparameters)``: its data and hyperparameters are dicts of arrays, traced,
so new values of the same shapes reuse the compiled programs; its sizes (such
as the eight schools' ``J``) are static integers, part of the programs.
"""

from __future__ import annotations

import functools
import math
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import NUTS
from numpyro.infer import log_likelihood as _log_likelihood

from widgets.inference.adaptation import _adapt, _warmup_windows
from widgets.inference.models import _bound, _observed_values

CHAIN_METHODS = ("auto", "parallel", "vectorized", "sequential")
# With a progress callback, the run is split into jitted chunks, about this many
# per second of sampling (each chunk costs ~2 ms here), never fewer than 4.
PROGRESS_PER_SECOND = 4
PROGRESS_CHUNKS = (4, 50)
# The most draws per chain one compiled sampler serves: num_samples is an
# argument of the compiled code, not part of it; draws are written into
# buffers of MAX_NUM_SAMPLES per chain (~36 bytes a draw).
MAX_NUM_SAMPLES = 10_000


# Draws per chain that one call of the compiled post-processing (constraining
# and log-likelihood) handles; a run's draws go through it a block at a time,
# so that its cost follows num_samples, not the buffers' capacity. Each call
# costs ~1 ms here whatever its size, hence large blocks. MAX_NUM_SAMPLES is a
# multiple: a block never reaches past the buffers (where JAX would shift it).
_FINISH_BLOCK = 1000


# What each iteration records, as ArviZ names its sample_stats.
_STATS = {
    "diverging": lambda s: s.diverging,
    "lp": lambda s: -s.potential_energy,
    "energy": lambda s: s.energy,
    "acceptance_rate": lambda s: s.accept_prob,
    "n_steps": lambda s: s.num_steps,
    "step_size": lambda s: s.adapt_state.step_size,
}


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
        The signatures (:func:`_signature`: data shapes and dtypes,
        hyperparameter structure, sizes) this sampler has run with: new ones
        compile the programs (or load them from JAX's cache).
    """

    def __init__(self, model, num_chains, chain_method):
        self.model = model
        self.bound = _bound(model)
        self.num_chains = num_chains
        devices = _chain_devices(chain_method, num_chains)
        self.mesh = (
            jax.sharding.Mesh(np.array(jax.local_devices()[:devices]), ("chain",)) if devices > 1 else None
        )
        self.sequential = chain_method == "sequential"
        self.kernel = NUTS(self.bound, adapt_step_size=False, adapt_mass_matrix=False)
        self.init = jax.jit(self._init, static_argnames="sizes")
        self.advance = jax.jit(self._advance, donate_argnums=(0, 1), static_argnames="sizes")
        self.finish = jax.jit(self._finish, static_argnames="sizes")
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

    def _init(self, seed, data, hyperparameters, sizes):
        keys = jax.random.split(jax.random.PRNGKey(seed), self.num_chains)

        def one_chain(key, data, hyperparameters):
            # NUTS.init on a whole batch of keys would vmap the kernel's stored
            # sample function once more at every retrace; one key at a time is safe.
            # num_warmup=0: the kernel itself never adapts (see _advance). Its
            # initial state does not depend on num_warmup.
            state = self.kernel.init(key, 0, None, (data, hyperparameters, sizes), {})
            buffers = jax.tree.map(
                lambda v: jnp.zeros((MAX_NUM_SAMPLES,) + jnp.shape(v), jnp.asarray(v).dtype),
                _record(state),
            )
            return state, buffers

        # Mapped like `advance`, so that every chunk gets its state laid out (sharded)
        # the same way and jit never compiles a second variant.
        chains = self._map_chains(one_chain, (keys,), (data, hyperparameters))
        return chains, _observed_values(self.model, data, hyperparameters, sizes)

    def _advance(
        self, states, buffers, start, stop, num_warmup, target_accept_prob, data, hyperparameters, sizes
    ):
        def one_chain(state, buffer, start, stop, num_warmup, target_accept_prob, data, hyperparameters):
            args = (data, hyperparameters, sizes)
            schedule = (num_warmup, *_warmup_windows(num_warmup))

            def body(i, carry):
                state, buffer = carry
                new = self.kernel.sample(state, args, {})
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

        shared = (start, stop, num_warmup, target_accept_prob, data, hyperparameters)
        states, buffers = self._map_chains(one_chain, (states, buffers), shared)
        # A small output that is ready when this chunk is, and is not donated
        # to the next chunk, so that it can be waited on.
        return states, buffers, states.i + 0

    def _finish(self, buffers, start, data, hyperparameters, sizes):
        """Draws ``start`` to ``start + _FINISH_BLOCK`` of each chain: constrained, with log-likelihoods."""
        block = jax.tree.map(lambda b: jax.lax.dynamic_slice_in_dim(b, start, _FINISH_BLOCK, axis=1), buffers)
        args = (data, hyperparameters, sizes)
        constrain = self.kernel.postprocess_fn(args, {})
        samples = jax.vmap(jax.vmap(constrain))(block["z"])
        loglik = _log_likelihood(self.bound, samples, *args, batch_ndims=2, parallel=True)
        return samples, {k: block[k] for k in _STATS}, loglik

    def run(
        self, seed, num_warmup, num_samples, target_accept_prob, data, hyperparameters, sizes, progress=None
    ):
        """Run the chains.

        Returns
        -------
        samples, stats, loglik : dict of str to numpy.ndarray
            Constrained draws (latent and deterministic sites), sampler
            statistics and pointwise log-likelihood of each observed site, each
            of shape ``(chains, num_samples, ...)``.
        latent_sites : tuple of str
            The names in ``samples``, sorted.
        observed : dict of str to numpy.ndarray
            The values of the observed sites.
        """
        (states, buffers), observed = self.init(seed, data, hyperparameters, sizes=sizes)
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
            states, buffers, token = self.advance(
                states, buffers, start, stop, warmup, target, data, hyperparameters, sizes=sizes
            )
            finished.append((stop, token))
        if progress is not None:
            for stop, token in finished:
                token.block_until_ready()
                progress(float(stop) / total)
        blocks = jax.device_get(
            [
                self.finish(buffers, np.int32(first), data, hyperparameters, sizes=sizes)
                for first in range(0, num_samples, _FINISH_BLOCK)
            ]
        )
        self.last_seconds = time.perf_counter() - started
        # The adapted diagonal inverse mass matrix of each chain, by block of sites as NumPyro keys
        # it: what a replay of one transition (widgets.inference.trajectory) needs besides the step size.
        self.last_inverse_mass_matrix = jax.device_get(states.adapt_state.inverse_mass_matrix)
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
        return samples, stats, loglik, tuple(sorted(samples)), jax.device_get(observed)

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


def _signature(data: dict, hyperparameters: dict, sizes: tuple) -> tuple:
    """What, besides the sampler, decides its compiled programs.

    The structure of the data and hyperparameters (names, and for the
    regression's ``Priors`` the prior families), the shape and dtype of each
    of their arrays, and the sizes.
    """
    leaves, structure = jax.tree.flatten((data, hyperparameters))
    return structure, tuple((np.shape(v), np.result_type(v)) for v in leaves), sizes
