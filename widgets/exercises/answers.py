"""Whether an answer is there: the release's stubs, the stand-ins a check placed, and the words for both."""

from __future__ import annotations

import dis
from typing import Any

NOT_ANSWERED = "not answered yet"
STUB_RAISES = "the answer raises NotImplementedError, the stub: write your answer"


class NotAnswered(Exception):
    """There is no answer to check: it is missing, still the stub, or a stand-in, or it needs one.

    Parameters
    ----------
    detail : str
        What is missing, in words.
    blocked : bool
        True if the exercise's own answer is there but an answer it needs is not.
    """

    def __init__(self, detail: str, *, blocked: bool = False):
        self.detail, self.blocked = detail, blocked
        super().__init__(f"{'not checked yet' if blocked else NOT_ANSWERED}: {detail}")


_EMPTY_OPS = {"RESUME", "NOP", "CACHE", "LOAD_CONST", "RETURN_VALUE", "RETURN_CONST"}
_RAISE_OPS = {"LOAD_GLOBAL", "PUSH_NULL", "PRECALL", "CALL", "RAISE_VARARGS"}


def is_stub(value) -> bool:
    """Whether `value` is a release stub: ``...``, or a function whose body does nothing.

    A body that does nothing holds only a docstring, ``...``, ``pass``, or
    ``raise NotImplementedError`` (nbgrader's own stub).
    """
    if value is Ellipsis:
        return True
    code = getattr(value, "__code__", None)
    if code is None:
        return False
    instructions = list(dis.get_instructions(code))
    ops = {i.opname for i in instructions}
    if any(i.argval is not None for i in instructions if i.opname in ("LOAD_CONST", "RETURN_CONST")):
        return False
    if ops <= _EMPTY_OPS:
        return True
    loaded = {i.argval for i in instructions if i.opname == "LOAD_GLOBAL"}
    return ops <= _EMPTY_OPS | _RAISE_OPS and "RAISE_VARARGS" in ops and loaded == {"NotImplementedError"}


# The stand-in placed under each name, by this process: a value is a stand-in
# only while the name still holds that very object.
_placed: dict[str, Any] = {}


def is_stand_in(name: str, value) -> bool:
    """Whether `value`, found under `name`, is the stand-in a check placed there."""
    return name in _placed and _placed[name] is value


def place(name: str, value, ns: dict) -> None:
    """Put stand-in `value` under `name` in `ns`, remembered as a stand-in."""
    ns[name] = _placed[name] = value


def unanswered(name: str, ns: dict) -> str | None:
    """How variable `name` lacks an answer in `ns` (``"undefined"``, ``"stand-in"``, ``"stub"``), or None."""
    if name not in ns:
        return "undefined"
    if is_stand_in(name, ns[name]):
        return "stand-in"
    if is_stub(ns[name]):
        return "stub"
    return None


def names(listed) -> str:
    """The names in backticks, as in ```a`, `b` and `c```."""
    quoted = [f"`{n}`" for n in listed]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def not_ready(answers, needs, ns: dict, owners: dict[str, str]) -> NotAnswered | None:
    """Why answers `answers` cannot be checked in `ns` yet, or None if they can.

    Parameters
    ----------
    answers : sequence of str
        The exercise's own answer variables.
    needs : sequence of str
        Other exercises' answer variables the check uses.
    ns : dict
        The notebook's variables.
    owners : dict
        ``{variable: grade_id}`` of the exercises checked so far, to name whose answer is open.
    """
    lacking = {n: unanswered(n, ns) for n in answers}
    if any(lacking.values()):
        parts = []
        for kind, one, many in (
            ("undefined", "define {} above", "define {} above"),
            ("stub", "{} is still the stub: write your answer above", "{} are still the stubs"),
            ("stand-in", "{} holds a stand-in, not your answer", "{} hold stand-ins, not your answer"),
        ):
            found = [n for n, k in lacking.items() if k == kind]
            if found:
                parts.append((many if len(found) > 1 else one).format(names(found)))
        return NotAnswered("; ".join(parts))
    needed = [n for n in needs if unanswered(n, ns)]
    if needed:
        whose = list(dict.fromkeys(owners[n] for n in needed if n in owners))
        source = " and ".join(whose) if whose else "the exercises above"
        return NotAnswered(
            f"this check uses your {names(needed)} from {source}; answer those first", blocked=True
        )
    return None
