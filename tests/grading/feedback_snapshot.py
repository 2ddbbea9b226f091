"""Today's feedback for every exercise, as a fixture the conversion of the lessons must reproduce.

Each scenario runs a lesson top to bottom in a fresh kernel and records, for
every test cell, the plain value nbgrader reads (the points) and the feedback
in words (``str`` of the value the check returned, taken from IPython's
``Out``). The scenarios: the source lesson (every answer right), the released
version (every answer open, stand-ins placed), and wrong answers: the source
with the release's multiple-choice digests, each answer cell of :data:`WRONG`
replaced by its wrong source (answers that later checks use get a run of their own; the others
share one).

``python -m tests.grading.feedback_snapshot`` rewrites
``expected_feedback.json``; do so only when a change of wording is intended.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import pathlib
import sys
import tempfile

import nbclient
import nbformat

from widgets.grading import notebooks
from widgets.grading.release import release_notebook, write_keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = {
    "l1": ROOT / "lessons/01-first-bayesian-model.ipynb",
    "l2": ROOT / "lessons/02-predictive-and-workflow.ipynb",
}
EXPECTED = pathlib.Path(__file__).with_name("expected_feedback.json")

# One wrong answer per exercise: the whole source of its answer cell.
WRONG = {
    "l1-model": (
        "def my_model(x, y=None):\n"
        '    a = numpyro.sample("a", dist.Normal(0.0, 2.0))\n'
        '    b = numpyro.sample("b", dist.Normal(0.0, 5.0))\n'
        '    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))\n'
        '    numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)'
    ),
    "l1-data": (
        "x_data = jr.uniform(kx, (n,), minval=-2.0, maxval=2.0)\n"
        "y_data = a_true * x_data + b_true + 3 * sigma_true * jr.normal(kn, (n,))"
    ),
    "l1-posterior-mean": 'posterior_mean_a = float(posterior["b"].mean())',
    "l1-rhat": 'answer_rhat = "A"',
    "l1-ess": 'answer_ess = "D"',
    "l1-fit-panel": (
        "fit_settings = FitPanel(x_data, y_data, priors=Priors(a=dist.Normal(loc=0.0, scale=2.0), "
        "b=dist.Normal(loc=0.0, scale=2.0), sigma=dist.HalfNormal(scale=1.0)), num_warmup=500, "
        "num_samples=300, num_chains=4, seed=0)"
    ),
    "l2-fixed-params": (
        "predictive_fixed = Predictive(\n"
        "    linear_regression_model,\n"
        "    num_samples=4,\n"
        '    params={"a": jnp.array(a_true), "b": jnp.array(b_true), "sigma": jnp.array(3 * sigma_true)},\n'
        ")\n"
        'y_fixed = predictive_fixed(jr.PRNGKey(2), x=x_grid)["y"]'
    ),
    "l2-prior-share": 'share_outside = float(jnp.mean(jnp.abs(prior_draws["y"]) > 5))',
    "l2-priors": (
        "my_priors = Priors(a=dist.Normal(loc=0.0, scale=0.5), b=dist.Normal(loc=0.0, scale=1.0), "
        "sigma=dist.HalfNormal(scale=0.5))"
    ),
    "l2-interval": (
        'y_at_one = posterior_predictive(jr.PRNGKey(5), x=jnp.array([1.0]))["y"][:, 0]\n'
        "interval_95 = (float(jnp.percentile(y_at_one, 97.5)), float(jnp.percentile(y_at_one, 2.5)))"
    ),
    "l2-ppc": 'answer_ppc = "A"',
    "l2-stale": 'answer_stale = "C"',
}
# Runs with wrong answers: answers that later checks use (the model, the data) run alone.
WRONG_RUNS = [
    ("l1", ["l1-model"]),
    ("l1", ["l1-data"]),
    ("l1", ["l1-posterior-mean", "l1-rhat", "l1-ess", "l1-fit-panel"]),
    ("l2", ["l2-fixed-params", "l2-prior-share", "l2-priors", "l2-interval", "l2-ppc", "l2-stale"]),
]

# The last cell of every run: each check's feedback in words, by grade_id.
_REPORT = (
    "import json as _json\n"
    "print(_json.dumps({str(_v).split(']')[0][1:]: str(_v) for _v in Out.values()"
    " if type(_v).__name__ == 'Feedback'}))"
)


def variant(lesson: str, scenario: str, wrong: list[str] = ()) -> nbformat.NotebookNode:
    """Lesson `lesson` as run in `scenario` ("source", "release" or "wrong"), ending in the report cell."""
    nb = notebooks.read(LESSONS[lesson])
    if scenario == "release":
        nb = release_notebook(nb)
    if scenario == "wrong":  # a student's copy of a release: multiple-choice digests, no key
        write_keys(nb)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell) or ""
        if notebooks.is_solution(cell) and gid.removesuffix("-answer") in wrong:
            cell.source = WRONG[gid.removesuffix("-answer")]
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT))
    return nb


def run(nb) -> dict:
    """Run `nb` in a fresh kernel; ``{grade_id: {"points": plain value, "feedback": words}}``.

    The notebook is saved in the kernel's folder first, as a student's is: checks read their points there.
    """
    with tempfile.TemporaryDirectory() as folder:
        nbformat.write(nb, str(pathlib.Path(folder) / "lesson.ipynb"))
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        asyncio.run(client.async_execute())
    words = json.loads("".join(o["text"] for o in nb.cells[-1].outputs if o.get("name") == "stdout"))
    found = {}
    for cell in filter(notebooks.is_test, nb.cells):
        plain = "".join(o["data"]["text/plain"] for o in cell.outputs if o.output_type == "execute_result")
        found[notebooks.grade_id(cell)] = {"points": plain, "feedback": words.get(notebooks.grade_id(cell))}
    return found


def collect() -> dict:
    """``{scenario: {grade_id: {"points", "feedback"}}}`` for source, release and wrong answers."""
    jobs = [(s, lesson, variant(lesson, s), None) for s in ("source", "release") for lesson in LESSONS]
    jobs += [("wrong", lesson, variant(lesson, "wrong", ids), ids) for lesson, ids in WRONG_RUNS]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: run(job[2]), jobs))
    out: dict = {"source": {}, "release": {}, "wrong": {}}
    for (scenario, _, _, ids), found in zip(jobs, results, strict=True):
        out[scenario].update(found if ids is None else {g: found[g] for g in ids})
    out["wrong_answers"] = WRONG
    return out


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(collect(), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
