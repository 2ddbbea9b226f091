"""Multiple choice: the answer is the right one of a few options."""

from __future__ import annotations

import dataclasses
import hashlib

from widgets.checks._check import Check, Context, Deferred


def digest(option: str, salt: str) -> str:
    """The salted SHA-256 of an option (normalised: stripped, upper case), as a released notebook holds it.

    Examples
    --------
    >>> from widgets.checks.choice import digest
    >>> digest(" b", salt="x") == digest("B", salt="x") != digest("B", salt="y")
    True
    """
    return hashlib.sha256(f"{salt}:{str(option).strip().upper()}".encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class one_of(Check):
    """The answer is the right option of a multiple-choice question.

    The right option is the `key`, which only the source lesson (and the grader)
    has; a released notebook holds a salted digest of it instead, enough for
    instant feedback but not a copy of the answer. With neither, the check is
    deferred to grading.

    Parameters
    ----------
    options : str or sequence of str
        The options, e.g. ``"ABCD"``.
    key : str, optional
        The right option.
    digest : dict, optional
        ``{"salt": str, "sha256": str}``: the right option's :func:`digest`.

    Examples
    --------
    >>> from widgets.checks import one_of
    >>> from widgets.checks.choice import digest
    >>> one_of("ABCD", key="C")(" c").passed
    True
    >>> one_of("ABCD", key="C")("E").reason
    'answer with one of A, B, C, D'
    >>> released = one_of("ABCD", digest={"salt": "5f1e", "sha256": digest("C", salt="5f1e")})
    >>> released("C").passed, released("A").passed
    (True, False)
    >>> one_of("ABCD")("C")
    Result(passed=None, reason='answered; checked when graded', hint='')

    The grader decides with the key from the source:

    >>> from widgets.grading import compare
    >>> data = one_of("ABCD", key="C").data("a")
    >>> data
    {'check': 'one_of', 'answer': 'A', 'reference': {'options': ['A', 'B', 'C', 'D'], 'answer': 'C'}}
    >>> compare.verdict(data["check"], data["answer"], data["reference"])
    (False, 'not that one')
    """

    options: str = "ABCD"
    key: str | None = None
    digest: dict | None = None
    verdict = "one_of"
    fresh = False

    def answer(self, value, ctx: Context) -> str:  # noqa: D102 - see Check
        return str(value).strip().upper()

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        if self.key is None:
            raise Deferred("answered; checked when graded")
        return {"options": [o.upper() for o in self.options], "answer": self.key.strip().upper()}

    def reference_for(self, value, ctx: Context) -> dict:
        """The key's reference; or, with only a digest, `value` itself if its digest matches (else none)."""
        if self.key is not None or self.digest is None:
            return self.reference(ctx)
        given = self.answer(value, ctx)
        right = given if digest(given, self.digest["salt"]) == self.digest["sha256"] else ""
        return {"options": [o.upper() for o in self.options], "answer": right}
