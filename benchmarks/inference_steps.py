"""Each workflow step through widgets.inference against the tutorial's way."""

from __future__ import annotations

import tempfile

import numpy as np
import numpyro.distributions as dist

from benchmarks import tutorial_way
from benchmarks.timing import Row, in_fresh_process, median_seconds
from widgets import compilation_cache, inference

X_GRID = np.linspace(-2.0, 2.0, 50)
# "auto" (the default) splits the chains over the 4 host devices the tutorial sets up.
METHODS = ("auto", "vectorized", "sequential")


def tutorial_data(seed: int = 0, n: int = 80):
    """The tutorial's synthetic data set (a = 1.5, b = -0.5, sigma = 0.3)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    return x, 1.5 * x - 0.5 + 0.3 * rng.normal(size=n)


def prior_predictive_update(quick: bool) -> Row:
    scales = np.linspace(0.5, 5.0, 50)
    inference.prior_predictive(X_GRID, priors=inference.Priors(a=dist.Normal(0.0, 1.0)))

    def ours(i):
        priors = inference.Priors(a=dist.Normal(0.0, float(scales[i % 50])))
        inference.prior_predictive(X_GRID, priors=priors, num_samples=100, seed=i)

    def theirs(i):
        np.asarray(tutorial_way.prior_predictive(X_GRID, float(scales[i % 50]), i)["y"])

    row = Row(
        "prior predictive update (100 draws x 50 points, new hyperparameters)",
        median_seconds(ours, 50 if quick else 300),
        tutorial=median_seconds(theirs, 3 if quick else 7),
    )
    row.target = "<= 1 ms and >= 500x"
    row.met = row.ours <= 1e-3 and row.tutorial / row.ours >= 500
    return row


def simulate_step(quick: bool) -> Row:
    inference.simulate(X_GRID, 1.5, -0.5, 0.3)
    return Row(
        "simulate (50 points, new true parameters)",
        median_seconds(lambda i: inference.simulate(X_GRID, 1.5, -0.5, 0.3 + i / 100, seed=i), 300),
        tutorial=median_seconds(
            lambda i: np.asarray(tutorial_way.simulate(X_GRID, 1.5, -0.5, 0.3 + i / 100, i)),
            3 if quick else 7,
        ),
    )


_FIRST_FIT = """
import json, time
import numpy as np
import numpyro
numpyro.set_host_device_count(4)
from benchmarks.inference_steps import tutorial_data
x, y = tutorial_data()
{setup}
start = time.perf_counter()
{call}
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""


def first_fit(quick: bool) -> list[Row]:
    """First fit in a fresh process: compiling included, importing not."""
    repeat = 1 if quick else 3
    ours = {}
    for method in METHODS:
        code = _FIRST_FIT.format(
            setup="from widgets import inference",
            call=f"inference.fit(x, y, chain_method={method!r}, progress=lambda f: None)",
        )
        ours[method] = np.median([r["seconds"] for r in in_fresh_process(code, repeat)])
    code = _FIRST_FIT.format(setup="from benchmarks import tutorial_way", call="tutorial_way.fit(x, y, 1)")
    theirs = np.median([r["seconds"] for r in in_fresh_process(code, repeat)])
    return [
        Row(f"first fit in a fresh process, chain_method={m!r}", ours[m], tutorial=theirs) for m in METHODS
    ]


def first_fit_with_cache(quick: bool) -> list[Row]:
    """First fit in a fresh process with the kit's compilation cache, empty and then filled.

    The filled cache is what Binder's postBuild leaves for a student's kernel.
    """
    repeat = 1 if quick else 3
    ours = _FIRST_FIT.format(
        setup="from widgets import inference", call="inference.fit(x, y, progress=lambda f: None)"
    )
    theirs = _FIRST_FIT.format(
        setup="import widgets\nfrom benchmarks import tutorial_way", call="tutorial_way.fit(x, y, 1)"
    )
    seconds = {"cold": [], "warm": [], "tutorial warm": []}
    with tempfile.TemporaryDirectory() as folder:
        for i in range(repeat):
            cache = {compilation_cache.ENV_VAR: f"{folder}/ours{i}"}
            seconds["cold"] += [r["seconds"] for r in in_fresh_process(ours, 1, env=cache)]
            seconds["warm"] += [r["seconds"] for r in in_fresh_process(ours, 1, env=cache)]
        cache = {compilation_cache.ENV_VAR: f"{folder}/tutorial"}
        in_fresh_process(theirs, 1, env=cache)
        seconds["tutorial warm"] = [r["seconds"] for r in in_fresh_process(theirs, repeat, env=cache)]
    no_cache = np.median([r["seconds"] for r in in_fresh_process(theirs, repeat)])
    medians = {k: float(np.median(v)) for k, v in seconds.items()}
    warm = Row(
        "  ... cache filled by an earlier process", medians["warm"], tutorial=no_cache, target="<= 1 s"
    )
    warm.met = warm.ours <= 1.0
    return [
        Row("first fit in a fresh process, 'auto', cache empty", medians["cold"], tutorial=no_cache),
        warm,
        Row(
            "  the tutorial's MCMC after import widgets, cache filled",
            medians["tutorial warm"],
            tutorial=no_cache,
        ),
    ]


def refit(quick: bool) -> list[Row]:
    """Re-fit new same-sized data (4 chains x 1500 iterations, n = 80)."""
    data = [tutorial_data(seed) for seed in range(20)]
    reports = []
    rows = []
    theirs = median_seconds(lambda i: tutorial_way.fit(*data[i % 20], i), 3 if quick else 5)
    for method in METHODS:
        inference.fit(*data[0], chain_method=method, progress=reports.append)
        with_progress = median_seconds(
            lambda i, method=method: inference.fit(
                *data[i % 20], seed=i, chain_method=method, progress=reports.append
            ),
            7 if quick else 21,
        )
        row = Row(f"re-fit with progress, chain_method={method!r}", with_progress, tutorial=theirs)
        if method == "auto":  # the default: the one the targets are for
            row.target = "<= 100 ms and >= 20x"
            row.met = row.ours <= 0.1 and row.tutorial / row.ours >= 20
        rows.append(row)
        if method == "auto":
            without = median_seconds(
                lambda i, method=method: inference.fit(*data[i % 20], seed=i, chain_method=method),
                7 if quick else 21,
            )
            overhead = Row(
                "  progress overhead (re-fit with progress / without - 1)",
                with_progress / without - 1,
                unit="",
                target="<= 10%",
            )
            overhead.met = overhead.ours <= 0.10
            rows.append(overhead)
    return rows


def new_run_lengths(count: int) -> list[tuple[int, int]]:
    """`count` (num_warmup, num_samples) pairs around the defaults, each differing from the last.

    Even steps change num_samples, odd ones num_warmup, as a student trying run
    lengths in FitPanel would.
    """
    pairs, warmup, samples = [], 500, 1000
    for i in range(count):
        if i % 2:
            warmup = 300 + (137 * i) % 300
        else:
            samples = 300 + (211 * i) % 700
        pairs.append((warmup, samples))
    return pairs


def refit_new_run_length(quick: bool) -> Row:
    """Re-fit after a new num_samples or num_warmup: the kit's one compiled sampler against a fresh MCMC."""
    x, y = tutorial_data()
    inference.fit(x, y, progress=lambda fraction: None)  # the first fit compiles; not timed
    ours = new_run_lengths(9 if quick else 21)
    theirs = new_run_lengths(2 if quick else 3)
    row = Row(
        "re-fit after a new num_samples / num_warmup (4 chains, 300-1000 draws)",
        median_seconds(
            lambda i: inference.fit(
                x, y, num_warmup=ours[i][0], num_samples=ours[i][1], seed=i, progress=lambda f: None
            ),
            len(ours),
        ),
        tutorial=median_seconds(lambda i: tutorial_way.fit(x, y, i, *theirs[i]), len(theirs)),
    )
    return row


def posterior_predictive_step(quick: bool) -> list[Row]:
    x, y = tutorial_data()
    fitted = inference.fit(x, y)
    inference.posterior_predictive(fitted, X_GRID)
    flat = {k: v.reshape(-1) for k, v in fitted.samples.items()}
    row = Row(
        "posterior predictive (4000 draws x 50 points)",
        median_seconds(lambda i: inference.posterior_predictive(fitted, X_GRID, seed=i), 100),
        tutorial=median_seconds(
            lambda i: np.asarray(tutorial_way.posterior_predictive(flat, X_GRID, i)),
            3 if quick else 7,
        ),
        target="<= 5 ms",
    )
    row.met = row.ours <= 5e-3
    idata = Row(
        "  building Fit.idata and the ArviZ summary (first access)",
        median_seconds(lambda i: inference.fit(x, y, seed=i).summary(), 3 if quick else 7),
    )
    return [row, idata]


_PEAK_MEMORY = """
import json
import numpyro
numpyro.set_host_device_count(4)
from benchmarks.inference_steps import tutorial_data, X_GRID
x, y = tutorial_data()
{code}
# VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's size.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"mb": peak_kb / 1024}}))
"""


def peak_memory(quick: bool) -> Row:
    """Peak resident memory of a process that fits and predicts once."""
    ours = in_fresh_process(
        _PEAK_MEMORY.format(
            code="from widgets import inference\n"
            "f = inference.fit(x, y)\n"
            "inference.posterior_predictive(f, X_GRID)\n"
            "f.summary()"
        ),
        1,
    )[0]["mb"]
    theirs = in_fresh_process(
        _PEAK_MEMORY.format(
            code="from benchmarks import tutorial_way\n"
            "post = tutorial_way.fit(x, y, 1)\n"
            "tutorial_way.posterior_predictive(post, X_GRID, 4)"
        ),
        1,
    )[0]["mb"]
    return Row("peak memory of a fit + posterior predictive process", ours, unit="MB", tutorial=theirs)


def run(quick: bool) -> list[Row]:
    """Every row of the inference section."""
    return [
        prior_predictive_update(quick),
        simulate_step(quick),
        *first_fit(quick),
        *first_fit_with_cache(quick),
        *refit(quick),
        refit_new_run_length(quick),
        *posterior_predictive_step(quick),
        peak_memory(quick),
    ]
