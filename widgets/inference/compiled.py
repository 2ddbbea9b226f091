"""Compiled programs: one cache per builder, memory handed back after compiling, results to the host.

Each compiled function is built by a ``functools.lru_cache``'d builder keyed by
what decides its program (model, sizes); :func:`_compiled` fetches it and says
whether it is new, i.e. about to compile.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping

import jax
import numpy as np


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
