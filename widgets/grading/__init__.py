"""Grading for instructors: release student versions, grade a folder of submissions.

Run ``python -m widgets.grading --help``. The lessons are the source: cells
carry nbgrader's metadata (``grade_id``, ``points``, ``solution``, ``grade``,
``locked``, ``schema_version``) and its ``### BEGIN SOLUTION`` and
``### BEGIN HIDDEN TESTS`` markers, so nbgrader can use them as they are.

This package imports neither the panels nor :mod:`widgets.inference`: it
handles notebooks and decides verdicts on plain data (:mod:`.compare`).
"""
