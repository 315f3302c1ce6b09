"""What every tab shares: the studio context, plain-words help, and turning engine errors
into messages the artist can read (gr.Error) instead of tracebacks."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from engines.checkpoints import CheckpointError
from engines.jobs import Busy
from engines.outputs import OutputStore
from engines.recipe import RecipeError
from engines.settings import Settings

log = logging.getLogger("atelier")

FRIENDLY_ERRORS = (ValueError, KeyError, RecipeError, CheckpointError, Busy, FileNotFoundError)


@dataclass
class StudioContext:
    """Handed to every tab's `build`: the launch settings, the shared outputs store, and a
    place where tabs offer to restore their controls from a recipe (used by the Gallery)."""

    settings: Settings
    store: OutputStore
    demo: gr.Blocks
    tabs: gr.Tabs | None = None
    restorers: dict[str, Restorer] = field(default_factory=dict)


@dataclass
class Restorer:
    """How a tab takes a recipe file: `fn(path) -> updates` for `outputs`, and which recipes fit."""

    fn: Callable[[str], list]
    outputs: list
    accepts: Callable[[dict], bool]


def how_it_works(text: str) -> None:
    """A closed 'How it works' accordion with a few plain sentences for the artist."""
    with gr.Accordion("How it works", open=False, elem_classes=["how-it-works"]):
        gr.Markdown(text)


def _message(err: BaseException) -> str:
    text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    return str(text).strip() or type(err).__name__


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler (plain or generator) so known engine errors become gr.Error
    with their own message, and anything unexpected becomes a short apology, never a traceback."""

    def translate(err: BaseException) -> gr.Error:
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, FRIENDLY_ERRORS):
            return gr.Error(_message(err), print_exception=False)
        log.exception("unexpected error in %s", fn.__name__)
        return gr.Error(f"Something went wrong ({type(err).__name__}: {err}). Your earlier work is safe.")

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - translated for the UI
                raise translate(err) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - translated for the UI
            raise translate(err) from None
    return wrapper
