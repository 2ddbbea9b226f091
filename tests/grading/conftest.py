"""The grading tests' kernels share one JAX compilation cache, a folder of this test session's.

The grading tests run the same lessons in many fresh kernels (the kit's grader,
nbgrader's autograde and Validate, the feedback snapshot, the author's check,
release runs); each kernel would compile the same NUTS programs again. Pointed
at one cache folder, only the first kernel to run a program compiles it, as in
class (``import widgets`` turns the cache on). The sandbox copies the grader's
cache folder into each submission's scratch folder, so sandboxed kernels load
what earlier unsandboxed ones saved and cannot change it.

The test process itself keeps the cache off (``tests/conftest.py``: its
compilation counts must not depend on the order tests ran in); only kernels
started while a grading test runs see the folder. A test that must see a cold
kernel asks for :func:`cold_kernels`; ``test_sandbox_as_a_user`` clears every
``WIDGETS_`` variable, so its sandboxed kernels start cold too. No verdict
depends on the cache: a program loaded from it is the one XLA compiled.
"""

import pytest

from tests.grading import submissions
from widgets.compilation_cache import ENV_VAR


@pytest.fixture(scope="package", autouse=True)
def kernels_share_the_compilation_cache(tmp_path_factory):
    """Set ``$WIDGETS_COMPILATION_CACHE`` to one folder while the grading tests run, then restore it.

    Package-scoped, so it is set before any module's fixture starts a kernel.
    """
    folder = tmp_path_factory.mktemp("jax-compilation-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(folder))
        yield folder


@pytest.fixture
def cold_kernels(monkeypatch):
    """Kernels this test starts compile everything afresh (``WIDGETS_COMPILATION_CACHE=off``)."""
    monkeypatch.setenv(ENV_VAR, "off")


@pytest.fixture(scope="package")
def graded_lesson_1(tmp_path_factory):
    """One sandboxed grading run of every lesson 1 submission of ``test_grade`` and ``test_sandbox``.

    Both modules graded the same honest students (full, blank, partial) in a run of their own;
    one run of all of them, hostile beside honest, answers both modules' questions.
    """
    return submissions.grade_everyone(tmp_path_factory.mktemp("lesson-1-graded"))
