"""Fill the kit's compilation cache the way a student's session would.

``python -m widgets.warm_cache LESSON...`` runs the panels' standard fits and
then each lesson, each in a fresh kernel, with the cache of
:mod:`widgets.compilation_cache` on: a student's kernel then loads the compiled
sampler and predictive programs instead of compiling them. Binder's
``postBuild`` runs it.

The sampler's programs take the run length as an argument, so one standard fit
serves a first fit with any warmup and samples in FitPanel's ranges (a new data
length, number of chains or prior family needs programs of its own).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import sys

import nbformat

from widgets.compilation_cache import ENV_VAR, cache_dir
from widgets.grading.grade import execute

_PANEL_FITS = """\
import numpyro

numpyro.set_host_device_count(4)  # as the lessons do: the same programs

from widgets import WorkflowPanel, tutorial

# The tutorial's data (their length picks the programs), with the panels' default priors and settings.
panel = WorkflowPanel(simulation=dict(tutorial.TRUE_VALUES, n=tutorial.N, x_range=tutorial.X_RANGE))
panel.fit_panel.run()
assert panel.fit_panel.fit is not None and panel.check_panel.fit is not None
"""


def warm(lessons, *, timeout: float = 600.0) -> pathlib.Path:
    """Fill the cache as a student's session would.

    Runs the panels' standard fits (what pressing Fit in the lessons' panels
    compiles), then each lesson, each in a fresh kernel.

    Parameters
    ----------
    lessons : iterable of path-like
        Lesson notebooks with their solutions (the source versions), so that
        every cell runs.
    timeout : float
        Seconds allowed per notebook.

    Returns
    -------
    pathlib.Path
        The cache folder.

    Raises
    ------
    ValueError
        If the cache is off, or a notebook fails or runs out of time.
    """
    folder = cache_dir()
    if folder is None:
        raise ValueError(f"{ENV_VAR}=off: there is no cache to warm")
    panel_fits = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_PANEL_FITS)])
    runs = [("the panels' standard fits", panel_fits, pathlib.Path.cwd())]
    for path in map(pathlib.Path, lessons):
        runs.append((str(path), nbformat.read(path, as_version=4), path.parent))
    # The kernels save every program they compile, however quickly: JAX saves only
    # those that took the cache's minimum time, and whether a small program takes
    # 0.05 s or 0.15 s depends on the machine and its load.
    with _environment(JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0"):
        _run_all(runs, timeout=timeout)
    return folder


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables (which kernels started meanwhile inherit), then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_all(runs, *, timeout: float) -> None:
    for name, nb, where in runs:
        print(f"warming the compilation cache: {name}", flush=True)
        ended = execute(nb, timeout=timeout, path=where)
        errors = [
            f"{out.ename}: {out.evalue}"
            for cell in nb.cells
            for out in cell.get("outputs", [])
            if out.output_type == "error"
        ]
        if ended != "completed" or errors:
            raise ValueError(f"{name}: {ended}; {'; '.join(errors) or 'no error output'}")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m widgets.warm_cache LESSON...``; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m widgets.warm_cache", description=__doc__)
    parser.add_argument("lessons", nargs="*", help="source lesson notebooks (with solutions)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per notebook")
    args = parser.parse_args(argv)
    try:
        folder = warm(args.lessons, timeout=args.timeout)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    entries = sum(1 for _ in folder.glob("*-cache"))
    print(f"the compilation cache at {folder} holds {entries} compiled programs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
