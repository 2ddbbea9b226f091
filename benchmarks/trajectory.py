"""Recording one NUTS transition: the kit's compiled recorder against NumPyro's tree in Python control flow.

The kit's :func:`widgets.inference.trajectory.record_trajectory` runs NumPyro's
``build_tree`` compiled once per model, writing each leapfrog step into
fixed-size buffers. The Python way runs the same ``build_tree`` with NumPyro's
control-flow primitives disabled (``numpyro.util.control_flow_prims_disabled``),
so that each leapfrog step can be appended to a Python list: every step is
then dispatched op by op. Both record the centered eight schools from the
funnel's mouth, new start points and seeds each call.

Usage: ``python -m benchmarks.trajectory [--quick]`` from the repository root.
"""

from __future__ import annotations

import argparse
import collections
import os
import time

import numpyro

numpyro.set_host_device_count(4)
os.environ.setdefault("WIDGETS_COMPILATION_CACHE", "off")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax._src import dispatch  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402
from numpyro.infer.hmc import momentum_generator  # noqa: E402
from numpyro.infer.hmc_util import build_tree, euclidean_kinetic_energy, velocity_verlet  # noqa: E402
from numpyro.infer.util import initialize_model  # noqa: E402
from numpyro.util import control_flow_prims_disabled  # noqa: E402

from benchmarks.timing import Row, median_seconds, print_table  # noqa: E402
from widgets.inference import EIGHT_SCHOOLS, eight_schools, fit_model  # noqa: E402
from widgets.inference.checks import _as_model_data  # noqa: E402
from widgets.inference.models import _bound  # noqa: E402
from widgets.inference.trajectory import record_trajectory, start_near  # noqa: E402

TITLE = "Recording one NUTS transition (TrajectoryPanel)"
_COMPILES = collections.Counter()
jax.monitoring.register_event_duration_secs_listener(lambda event, *_, **__: _COMPILES.update([event]))


def python_way(fit, start, seed: int) -> list[np.ndarray]:
    """NumPyro's build_tree through Python control flow, each leapfrog point appended to a list."""
    data, sizes = _as_model_data(dict(fit.data))
    info = initialize_model(
        jax.random.PRNGKey(0), _bound(fit.model), model_args=(data, fit.hyperparameters, sizes)
    )
    _, unravel = ravel_pytree(info.param_info.z)
    z = unravel(jnp.asarray(start))
    imm = {k: jnp.asarray(v[0]) for k, v in fit.inverse_mass_matrix.items()}
    _, key_momentum, key_transition = jax.random.split(jax.random.PRNGKey(seed), 3)
    r = momentum_generator(z, {k: 1 / jnp.sqrt(v) for k, v in imm.items()}, key_momentum)
    vv_init, vv_update = velocity_verlet(info.potential_fn, euclidean_kinetic_energy)
    steps = []

    def recorded(step_size, inverse_mass_matrix, state):
        new = vv_update(step_size, inverse_mass_matrix, state)
        steps.append(np.asarray(ravel_pytree(new.z)[0]))
        return new

    step_size = float(fit.sample_stats["step_size"][0, -1])
    with control_flow_prims_disabled():
        build_tree(recorded, euclidean_kinetic_energy, vv_init(z, r), imm, step_size, key_transition)
    return steps


def run(quick: bool) -> list[Row]:
    """The rows of this section: first call (compiling), warm calls, the Python way, compiles."""
    fit = fit_model(eight_schools, EIGHT_SCHOOLS, seed=0)
    starts = [start_near(fit, {"theta[0]": 5.0 + 0.1 * i, "log tau": 1.5}) for i in range(40)]
    started = time.perf_counter()
    record_trajectory(fit, starts[0], seed=0)
    first = time.perf_counter() - started
    compiles = _COMPILES[dispatch.BACKEND_COMPILE_EVENT]
    ours = median_seconds(lambda i: record_trajectory(fit, starts[i % 40], seed=i), 30 if quick else 200)
    refit = fit_model(eight_schools, EIGHT_SCHOOLS, seed=1)
    record_trajectory(refit, starts[1], seed=1)
    new_compiles = _COMPILES[dispatch.BACKEND_COMPILE_EVENT] - compiles
    python_way(fit, starts[0], 0)  # its small jitted pieces compile once
    theirs = median_seconds(lambda i: python_way(fit, starts[i % 40], i), 2 if quick else 5)
    warm = Row(
        "record one transition (eight schools, new start and seed)",
        ours,
        tutorial=theirs,
        target="<= 50 ms and >= 50x",
    )
    warm.met = ours <= 0.05 and theirs / ours >= 50
    return [
        Row("  first call (compiles the recorder once per model)", first),
        warm,
        Row(
            "  compiles for new starts, seeds and a new fit of the same model",
            float(new_compiles),
            unit="compiles",
            target="0",
            met=new_compiles == 0,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trajectory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print_table(TITLE, run(args.quick))


if __name__ == "__main__":
    main()
