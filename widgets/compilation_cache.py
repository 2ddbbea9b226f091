"""JAX's persistent compilation cache, in a folder the kit owns.

A fresh kernel's first fit spends seconds compiling the sampler (more on
Binder's one CPU). With the cache on, compiled programs are saved to disk and
a later kernel loads them instead of compiling. ``import widgets`` turns it on;
``python -m widgets.warm_cache LESSON...`` fills it the way a student's session
would (Binder's ``postBuild`` does this).

The folder is ``$WIDGETS_COMPILATION_CACHE`` if that is set (``off`` turns the
cache off), else ``numpyro-workflow-widgets/jax-<version>`` under
``$XDG_CACHE_HOME`` (``~/.cache``). A cache folder set through JAX's own
``jax_compilation_cache_dir`` is left as it is, and so is a minimum compile
time below the kit's 0.1 s. Programs' cache keys do not depend on the
folder, so a copy of it serves as well. JAX runs what it finds there: keep
the folder private to its user.
"""

from __future__ import annotations

import os
import pathlib

import jax

ENV_VAR = "WIDGETS_COMPILATION_CACHE"
# Cache even quick compiles: the predictive functions take ~0.5 s here.
MIN_COMPILE_SECONDS = 0.1
MAX_BYTES = 512 * 2**20  # least recently used entries go first (a sampler is ~0.2 MB)
# JAX's default extra cache, XLA's GPU autotuning results, writes its folder's
# path into the compile options and so into every program's cache key: a cache
# copied to another folder (the grader's sandbox copies it in for each
# submission) would then never hit. The kit runs on CPUs, where it does nothing.
_PATH_IN_KEY = "xla_gpu_per_fusion_autotune_cache_dir"


def cache_dir() -> pathlib.Path | None:
    """The kit's cache folder, or None if ``WIDGETS_COMPILATION_CACHE=off``."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return pathlib.Path(chosen).expanduser()
    base = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    return base / "numpyro-workflow-widgets" / f"jax-{jax.__version__}"


def enable() -> pathlib.Path | None:
    """Turn on JAX's persistent compilation cache in :func:`cache_dir`.

    Returns
    -------
    pathlib.Path or None
        The folder in use; None if the cache is off, or if it cannot be created
        (the kit then compiles as usual).
    """
    if jax.config.jax_compilation_cache_dir:  # the user chose one: theirs wins
        return pathlib.Path(jax.config.jax_compilation_cache_dir)
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # A lower minimum set through JAX (JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS)
    # stands: the warm-up saves every program that way.
    minimum = min(MIN_COMPILE_SECONDS, jax.config.jax_persistent_cache_min_compile_time_secs)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", minimum)
    jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    if jax.config.jax_persistent_cache_enable_xla_caches == _PATH_IN_KEY:  # JAX's default, not a choice
        jax.config.update("jax_persistent_cache_enable_xla_caches", "none")
    return folder
