"""Check served and cached files against the studio's folders without resolving those folders each time.

gradio asks "is this file inside that folder?" several times for every picture a call returns and
every file a page fetches (allowed, blocked, cache and static folders), resolving both paths through
the file system each time: about a seventh of a live Paint call's CPU under load. The folders are
the studio's own and do not move while it runs, so their resolved form is kept; the file's path is
still resolved on every check, so a link cannot lead a request outside the allowed folders.
"""

from __future__ import annotations

import functools
from pathlib import Path

from gradio import history, processing_utils, utils, workflow

_ORIGINAL = utils.is_in_or_equal


@functools.lru_cache(maxsize=512)
def _folder(path: str) -> Path:
    """A folder's resolved absolute path (remembered: the studio's folders stay where they are)."""
    return utils.abspath(path).resolve()


def is_in_or_equal(path_1: str | Path, path_2: str | Path) -> bool:
    """True when `path_1` (resolved now) is `path_2` or lies inside it, as gradio's check answers."""
    inner, outer = utils.abspath(path_1).resolve(), _folder(str(path_2))
    return inner == outer or outer in inner.parents


def install() -> None:
    """Use the check above wherever gradio imported its own (idempotent)."""
    for module in (utils, processing_utils, history, workflow):
        if getattr(module, "is_in_or_equal", None) is not None:
            module.is_in_or_equal = is_in_or_equal
