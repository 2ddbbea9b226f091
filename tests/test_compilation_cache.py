"""JAX's persistent compilation cache: a fresh process loads what another compiled."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import jax
import nbformat
import pytest

from widgets import compilation_cache, warm_cache

# A student's kernel, as in the lessons: 4 host devices, then the kit's standard
# steps. It prints the cache events and a digest of every result. JAX saves only
# programs that took at least the cache's minimum time to compile, so with the
# kit's 0.1 s which programs are saved depends on the machine's speed; the test
# saves every program instead, which makes the expected hits exact.
_SESSION = """
import json, sys
import numpyro
numpyro.set_host_device_count(4)
import jax
import numpy as np

events = {}
jax.monitoring.register_event_listener(lambda name, **_: events.__setitem__(name, events.get(name, 0) + 1))
import widgets
from widgets import inference
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)

x = np.linspace(-2.0, 2.0, 80)
y = 1.5 * x - 0.5 + 0.3 * np.sin(7 * x)
fit = inference.fit(x, y, num_warmup=300, num_samples=300, seed=1)
prior = inference.prior_predictive(x, num_samples=50, seed=2)
post = inference.posterior_predictive(fit, x, seed=3)
digest = [float(np.sum(v)) for v in (fit.samples["a"], fit.samples["sigma"], prior["y"], post["y"])]
print(json.dumps({"events": events, "digest": digest, "dir": jax.config.jax_compilation_cache_dir}))
"""


def _session(cache: pathlib.Path, hash_seed: int) -> dict:
    env = dict(os.environ, WIDGETS_COMPILATION_CACHE=str(cache), PYTHONHASHSEED=str(hash_seed))
    done = subprocess.run(
        [sys.executable, "-c", _SESSION], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fresh_process_loads_every_program_another_compiled(tmp_path):
    cache = tmp_path / "cache"
    # Different string hash seeds: NumPyro orders a distribution's parameters by
    # a set, so without the kit's canonical flattening the programs would differ.
    first = _session(cache, hash_seed=0)
    second = _session(cache, hash_seed=1)
    assert first["dir"] == second["dir"] == str(cache)
    saved = sorted(path.name for path in cache.glob("*-cache"))
    # The programs a first fit waits for are among those the first process saved.
    for program in ("jit__init", "jit__advance", "jit__finish"):
        assert any(name.startswith(program + "-") for name in saved), (program, saved)
    assert first["events"].get("/jax/compilation_cache/cache_hits", 0) == 0
    assert first["events"].get("/jax/compilation_cache/cache_misses", 0) == len(saved)
    # The second process loads every one of them and compiles nothing anew.
    assert second["events"].get("/jax/compilation_cache/cache_misses", 0) == 0
    assert second["events"].get("/jax/compilation_cache/cache_hits", 0) == len(saved)
    assert second["events"]["/jax/compilation_cache/compile_requests_use_cache"] == len(saved)
    assert sorted(path.name for path in cache.glob("*-cache")) == saved
    # Loaded programs compute exactly what the compiled ones did.
    assert second["digest"] == first["digest"]


def test_a_copy_of_the_cache_in_another_folder_serves_as_well(tmp_path):
    """Does a process load every program from a copy of another's cache, as a sandboxed grading kernel does?

    JAX's default extra cache would put the folder's path into every cache key.
    """
    cache, moved = tmp_path / "cache", tmp_path / "elsewhere" / "copy"
    first = _session(cache, hash_seed=0)
    shutil.copytree(cache, moved)
    saved = sorted(path.name for path in cache.glob("*-cache"))
    assert saved and first["events"].get("/jax/compilation_cache/cache_misses", 0) == len(saved)
    second = _session(moved, hash_seed=0)
    assert second["dir"] == str(moved)
    assert second["events"].get("/jax/compilation_cache/cache_misses", 0) == 0
    assert second["events"].get("/jax/compilation_cache/cache_hits", 0) == len(saved)
    assert second["digest"] == first["digest"]


@pytest.fixture
def restored_jax_config():
    names = (
        "jax_compilation_cache_dir",
        "jax_persistent_cache_min_compile_time_secs",
        "jax_compilation_cache_max_size",
        "jax_persistent_cache_enable_xla_caches",
    )
    saved = {name: getattr(jax.config, name) for name in names}
    yield
    for name, value in saved.items():
        jax.config.update(name, value)


def test_cache_dir_default_env_and_off(monkeypatch, tmp_path):
    monkeypatch.delenv(compilation_cache.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compilation_cache.cache_dir() == tmp_path / "numpyro-workflow-widgets" / f"jax-{jax.__version__}"
    monkeypatch.setenv(compilation_cache.ENV_VAR, str(tmp_path / "mine"))
    assert compilation_cache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv(compilation_cache.ENV_VAR, "OFF")
    assert compilation_cache.cache_dir() is None


def test_enable_sets_the_cache_and_respects_the_users_choice(monkeypatch, tmp_path, restored_jax_config):
    # Nothing compiles in this test, so this process's cache is never opened.
    jax.config.update("jax_compilation_cache_dir", None)
    monkeypatch.setenv(compilation_cache.ENV_VAR, "off")
    assert compilation_cache.enable() is None
    assert jax.config.jax_compilation_cache_dir is None

    monkeypatch.setenv(compilation_cache.ENV_VAR, str(tmp_path / "kit"))
    assert compilation_cache.enable() == tmp_path / "kit"
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "kit")
    assert (tmp_path / "kit").is_dir()
    assert (tmp_path / "kit").stat().st_mode & 0o077 == 0  # private to its user
    assert jax.config.jax_persistent_cache_min_compile_time_secs == compilation_cache.MIN_COMPILE_SECONDS
    assert jax.config.jax_persistent_cache_enable_xla_caches == "none"  # no folder path in cache keys

    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "users"))
    assert compilation_cache.enable() == tmp_path / "users"
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "users")


def test_enable_without_a_writable_place_compiles_as_usual(monkeypatch, tmp_path, restored_jax_config):
    jax.config.update("jax_compilation_cache_dir", None)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(compilation_cache.ENV_VAR, str(blocker / "cache"))
    assert compilation_cache.enable() is None
    assert jax.config.jax_compilation_cache_dir is None


def test_warming_stops_at_a_failing_notebook_and_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv(compilation_cache.ENV_VAR, str(tmp_path / "cache"))
    broken = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise RuntimeError('lesson bug')")])
    nbformat.write(nb, str(broken))
    with pytest.raises(ValueError, match=r"broken\.ipynb.*RuntimeError: lesson bug"):
        warm_cache.warm([broken], timeout=300)
    # The panels' standard fits ran before it and were saved.
    assert list((tmp_path / "cache").glob("jit__advance-*-cache"))


def test_warming_refuses_when_the_cache_is_off(monkeypatch):
    monkeypatch.setenv(compilation_cache.ENV_VAR, "off")
    with pytest.raises(ValueError, match="WIDGETS_COMPILATION_CACHE=off"):
        warm_cache.warm([])


# A student's first fit in a fresh kernel: WorkflowPanel's fit tab (the panels'
# default data, priors and chains) with a run length of their own. It prints how
# many programs it looked up in the cache, loaded from it, and saved to it.
_STUDENT_FIT = """
WATCHED = ("compile_requests_use_cache", "cache_hits", "cache_misses")
import json, sys
import numpyro
numpyro.set_host_device_count(4)
import jax

events = {}
jax.monitoring.register_event_listener(lambda name, **_: events.__setitem__(name, events.get(name, 0) + 1))
from widgets import WorkflowPanel

panel = WorkflowPanel().fit_panel
panel.num_warmup, panel.num_samples = int(sys.argv[1]), int(sys.argv[2])
panel.run()
assert panel.fit is not None and panel.message == "", panel.message
print(json.dumps({k.rsplit("/", 1)[-1]: v for k, v in events.items() if k.endswith(WATCHED)}))
"""


def test_warming_serves_a_first_fit_whatever_its_run_length(monkeypatch, tmp_path):
    """After warming, does a first fit with any samples and warmup load just what the default one loads?

    The warm-up fits with warmup 500 and samples 1000; a student may pick any
    run length, which must compile nothing that the default would not.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv(compilation_cache.ENV_VAR, str(cache))
    warm_cache.warm([], timeout=600)  # the panels' standard fits: warmup 500, samples 1000
    loaded = {}
    for run_length in [(500, 1000), (500, 300), (77, 123), (0, 20)]:
        done = subprocess.run(
            [sys.executable, "-c", _STUDENT_FIT, *map(str, run_length)],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        loaded[run_length] = json.loads(done.stdout.strip().splitlines()[-1])
    # The warm-up saved every program it compiled, however quickly: each first fit
    # loads the same programs and compiles none.
    assert all(events == loaded[(500, 1000)] for events in loaded.values()), loaded
    assert loaded[(500, 1000)].get("cache_hits", 0) >= 3, (
        loaded
    )  # at least the sampler's init, advance, finish
    assert all(
        events["compile_requests_use_cache"] == events.get("cache_hits") for events in loaded.values()
    ), loaded
    assert all(events.get("cache_misses", 0) == 0 for events in loaded.values()), loaded
