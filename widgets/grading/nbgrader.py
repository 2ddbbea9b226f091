"""nbgrader settings for the kit's lessons: keys in the release, no reference module, a stub that runs.

End the course's ``nbgrader_config.py`` with
``from widgets.grading.nbgrader import configure; configure(get_config())``
(see :func:`configure`). nbgrader ignores a config file that raises and runs on without it, so check
the release with :func:`widgets.grading.release.leak_scan` after
``nbgrader generate_assignment``.
"""

from __future__ import annotations

import os

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from widgets.grading import release

EXECUTE_TIMEOUT = 300  # seconds per cell: a sampler's first fit compiles for a while on a cold cache
REFERENCE_MODULES = "*_reference.py"
# nbgrader puts one stub wherever a solution region was, in a block or at the
# top of a cell; `pass` does nothing silently at both (the kit's own release
# writes `...` in blocks only: at the top of a cell it would show "Ellipsis").
CODE_STUB = "# YOUR CODE HERE\npass"


class WriteKeys(NbGraderPreprocessor):
    """Write the salted digest of each multiple-choice key into its test cell, while the solutions are there.

    Runs :func:`widgets.grading.release.write_keys` (``metadata.widgets =
    {salt, sha256}``, a new salt every time) before ``ClearSolutions`` in
    ``nbgrader generate_assignment``, so a released notebook can check a
    multiple-choice answer without holding the key. nbgrader's cell checksums
    ignore this metadata.
    """

    def preprocess(self, nb, resources):
        """Write the keys' digests into `nb` (ValueError if a multiple-choice solution is no literal)."""
        release.write_keys(nb)
        return nb, resources


def configure(c) -> None:
    """Set up nbgrader for the kit's lessons; call it last in ``nbgrader_config.py``.

    * ``GenerateAssignment.preprocessors``: :class:`WriteKeys` before ``ClearSolutions``;
    * ``CourseDirectory.ignore``: plus ``"*_reference.py"``, so that neither
      ``generate_assignment`` nor ``autograde`` copies a lesson's reference module;
    * ``os.environ["WIDGETS_NBGRADER_SOURCE"]``: ``<CourseDirectory.root>/<source_directory>``,
      where checks under ``autograde`` read keys and reference modules;
    * ``Execute.timeout``: 300 s per cell, unless the config sets it;
    * ``ClearSolutions.code_stub["python"]``: :data:`CODE_STUB`, which does not raise,
      so that Run All runs past an open exercise.

    Parameters
    ----------
    c : traitlets.config.Config
        The config, ``get_config()``. Its ``CourseDirectory.root`` (default: the
        working folder, as nbgrader's) and ``source_directory`` (default
        ``"source"``) are read now, so set them before the call; a root given
        only on nbgrader's command line is not seen here.

    Raises
    ------
    ValueError
        If ``c`` sets ``GenerateAssignment.preprocessors`` without ``ClearSolutions``.

    Examples
    --------
    The end of a course's ``nbgrader_config.py``::

        c = get_config()
        c.CourseDirectory.root = "/srv/bayes-101"
        from widgets.grading.nbgrader import configure
        configure(c)
    """
    generate = c.GenerateAssignment
    if "preprocessors" in generate:
        steps = list(generate.preprocessors)
    else:
        steps = GenerateAssignment.class_traits()["preprocessors"].default()
    if WriteKeys not in steps:
        if ClearSolutions not in steps:
            raise ValueError(
                "c.GenerateAssignment.preprocessors must hold ClearSolutions (WriteKeys goes before it); "
                f"got {steps}"
            )
        steps.insert(steps.index(ClearSolutions), WriteKeys)
    generate.preprocessors = steps

    ignored = c.CourseDirectory.ignore  # a list, or traitlets' lazy value that appends to the default
    if not (isinstance(ignored, list) and REFERENCE_MODULES in ignored):
        ignored.append(REFERENCE_MODULES)

    course = c.CourseDirectory
    root = course["root"] if "root" in course else os.getcwd()
    source = course["source_directory"] if "source_directory" in course else "source"
    os.environ["WIDGETS_NBGRADER_SOURCE"] = os.path.join(os.path.abspath(root), source)

    if "timeout" not in c.Execute:
        c.Execute.timeout = EXECUTE_TIMEOUT
    stubs = ClearSolutions.class_traits()["code_stub"].default()  # other languages keep theirs
    stubs.update(c.ClearSolutions["code_stub"] if "code_stub" in c.ClearSolutions else {})
    c.ClearSolutions.code_stub = {**stubs, "python": CODE_STUB}
