"""The kit's same-shape re-fit against the best peer's: nutpie's compiled PyMC model.

Both sides re-fit the tutorial's regression to new data of the same length
(n = 80; 4 chains, 500 warmup + 1,000 draws) and both are timed in this run,
call by call in turn (the order reversed every round), each side in its own
fresh process that does nothing while another samples. Each row gives the
median wall time of a re-fit, ours beside nutpie's and their ratio (the target:
faster than nutpie), the fastest of the same runs, and the median CPU time
(every thread of the process, so it shows what the chains cost on a machine
with no core to spare). The load average over the run is printed with it: on a
shared machine, say so when quoting the figures.

- ours: ``widgets.inference.fit(x, y, seed=i, chain_method=..., progress=...)``,
  as FitPanel calls it, in each layout of ``LAYOUTS`` (first: "auto" on the
  4 host devices the lessons set up; ``--quick`` measures that one only);
- theirs: ``nutpie.compile_pymc_model(model)`` once (not timed), then per
  re-fit ``compiled.with_data(x=x, y=y)`` and ``nutpie.sample(..., chains=4,
  tune=500, draws=1000, progress_bar=False)``.

The peer runs in its own virtual environment, ``benchmarks/.peer-venv``
(git-ignored), made on first use with pip: PyMC and nutpie install beside the
kit without moving its pinned versions, but they bring numba, and with numba
importable ArviZ 0.23 jit-compiles its R-hat and ESS (``az.Numba``): about
0.5 s more for the first ``az.summary`` in every process of the kit's
environment, lessons and tests included. If the environment cannot be made,
the row says why instead of failing.

Usage: ``python -m benchmarks.peers [--quick]`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import venv

from benchmarks.inference_steps import tutorial_data
from benchmarks.timing import Row, print_table

PEER = {"pymc": "5.28.5", "nutpie": "0.16.8"}  # nutpie >= 0.16.9 needs Python >= 3.12
PEER_VENV = pathlib.Path(__file__).parent / ".peer-venv"
PEER_NAME = " + ".join(f"{name} {version}" for name, version in PEER.items())
NUM_DATA_SETS = 20
TITLE = (
    f"Against the best peer: same-shape re-fit with progress (n = 80, 4 chains x 1,500) vs {PEER_NAME}'s"
    " compiled re-fit, in the 'tutorial's way' column"
)

# Each worker reads the data sets (one JSON line), compiles and warms up (not
# timed), says "ready", then answers each line "i" with the wall and CPU seconds of re-fit i.
_WORKER = """
import json, sys, time
{setup}
data = [(np.asarray(x), np.asarray(y)) for x, y in json.loads(sys.stdin.readline())]
def refit(i):
    x, y = data[i % len(data)]
{call}
refit(0); refit(1)
print("ready", flush=True)
for line in sys.stdin:
    i = int(line)
    start, cpu = time.perf_counter(), time.process_time()
    refit(i)
    print(json.dumps([time.perf_counter() - start, time.process_time() - cpu]), flush=True)
"""


def _ours(devices: int, chain_method: str) -> str:
    """Code of a worker that re-fits with the kit on `devices` host devices."""
    return _WORKER.format(
        setup=f"""
import numpyro
numpyro.set_host_device_count({devices})
import numpy as np
from widgets import inference
reports = []
""",
        call=f"    inference.fit(x, y, seed=i, chain_method={chain_method!r}, progress=reports.append)",
    )


# The kit's layouts of its 4 chains: how the lessons run (first), then the others worth comparing.
LAYOUTS = {
    "'auto' on 4 host devices, as the lessons set up": (4, "auto"),
    "'auto' on 2 host devices, one per core here": (2, "auto"),
    "'vectorized': 4 chains in lockstep on one device": (1, "vectorized"),
}

_NUTPIE = _WORKER.format(
    setup="""
import numpy as np
import nutpie
import pymc as pm
x0, y0 = np.zeros(80), np.zeros(80)
with pm.Model() as model:  # the tutorial's regression and priors
    x_data = pm.Data("x", x0)
    y_data = pm.Data("y", y0)
    a = pm.Normal("a", 0.0, 2.0)
    b = pm.Normal("b", 0.0, 2.0)
    sigma = pm.HalfNormal("sigma", 1.0)
    pm.Normal("obs", a * x_data + b, sigma, observed=y_data, shape=x_data.shape)
compiled = nutpie.compile_pymc_model(model)
""",
    call="""    nutpie.sample(
        compiled.with_data(x=x, y=y), chains=4, tune=500, draws=1000, seed=i, progress_bar=False
    )""",
)


def _peer_python() -> tuple[pathlib.Path | None, str]:
    """The peer environment's Python, made or repaired if need be; or None and why not."""
    python = PEER_VENV / "bin" / "python"
    check = (
        "import json; from importlib.metadata import version; "
        f"print(json.dumps({{n: version(n) for n in {list(PEER)}}}))"
    )
    try:
        if not python.exists():
            venv.create(PEER_VENV, with_pip=True)
        found = subprocess.run([python, "-c", check], capture_output=True, text=True)
        if found.returncode or json.loads(found.stdout) != PEER:
            pins = [f"{name}=={version}" for name, version in PEER.items()]
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", *pins], capture_output=True, text=True, check=True
            )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or str(error)
        return None, detail.strip().splitlines()[-1] if detail.strip() else type(error).__name__
    return python, ""


class _Worker:
    """A fresh Python process that re-fits on request and reports the seconds."""

    def __init__(self, python, code: str, data: list):
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        # A file, not a pipe: a pipe nobody reads would fill and block the worker.
        self.errors = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [python, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=env,
        )
        self._send(json.dumps(data))
        self._expect("ready")

    def _send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _expect(self, what: str | None = None) -> str:
        line = self.process.stdout.readline().strip()
        if not line or (what is not None and line != what):
            self.process.kill()
            self.process.wait()
            self.errors.seek(0)
            raise RuntimeError(f"benchmark worker failed:\n{self.errors.read()[-3000:]}")
        return line

    def refit(self, i: int) -> tuple[float, float]:
        """Wall and CPU seconds of re-fit `i`, measured in the worker."""
        self._send(str(i))
        wall, cpu = json.loads(self._expect())
        return float(wall), float(cpu)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.errors.close()


def refit_against_nutpie(quick: bool) -> list[Row]:
    """Same-shape re-fits, each layout of ours and nutpie's in turn: medians, minima, CPU, ratios."""
    python, why = _peer_python()
    if python is None:
        return [Row("same-shape re-fit", float("nan"), target=f"not measured: no peer environment ({why})")]
    data = [[x.tolist(), y.tolist()] for x, y in (tutorial_data(seed) for seed in range(NUM_DATA_SETS))]
    layouts = dict(list(LAYOUTS.items())[:1]) if quick else LAYOUTS
    workers: dict[str, _Worker] = {}
    load = [os.getloadavg()[0]]
    try:
        workers["nutpie"] = _Worker(python, _NUTPIE, data)
        for layout, (devices, chain_method) in layouts.items():
            workers[layout] = _Worker(sys.executable, _ours(devices, chain_method), data)
        seconds = {side: [] for side in workers}
        order = list(workers)
        for i in range(2, 2 + (15 if quick else 41)):
            for side in order if i % 2 else order[::-1]:
                seconds[side].append(workers[side].refit(i))
        load.append(os.getloadavg()[0])
    finally:
        for worker in workers.values():
            worker.close()
    theirs_wall, theirs_cpu = zip(*seconds.pop("nutpie"), strict=True)
    under = f"load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores"
    rows = []
    for layout, ours in seconds.items():
        ours_wall, ours_cpu = zip(*ours, strict=True)
        median = Row(
            f"same-shape re-fit, {layout}",
            statistics.median(ours_wall),
            tutorial=statistics.median(theirs_wall),
            target="faster than nutpie",
        )
        median.met = median.ours < median.tutorial
        fastest = Row("  ... fastest of the same runs", min(ours_wall), tutorial=min(theirs_wall))
        cpu = Row(
            f"  ... CPU time, every thread ({under})",
            statistics.median(ours_cpu),
            tutorial=statistics.median(theirs_cpu),
        )
        rows += [median, fastest, cpu]
    return rows


def run(quick: bool) -> list[Row]:
    """Every row of the peers section."""
    return refit_against_nutpie(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    os.environ["WIDGETS_COMPILATION_CACHE"] = "off"  # as benchmarks/__main__.py: compile afresh
    print_table(TITLE, run(args.quick))
