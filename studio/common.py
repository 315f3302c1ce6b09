"""What every tab shares: the studio context, plain-words help, and turning engine errors
into messages the artist can read (gr.Error) instead of tracebacks."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from engines.checkpoints import Checkpoint, CheckpointError, file_hash
from engines.checkpoints import load as load_checkpoint
from engines.jobs import TRAINING, Busy, StopToken
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


# ---------------------------------------------------------------- shared by the tabs that train
MODEL_NAME = re.compile(r"[\w.-]{1,60}")


class Trainings:
    """Stop tokens of the trainings started from each page (or script), and the one-at-a-time slot."""

    def __init__(self) -> None:
        self._tokens: dict[str, StopToken] = {}

    @contextlib.contextmanager
    def hold(self, what: str, name: str, request: gr.Request | None) -> Iterator[StopToken]:
        """Check the model's name, take the studio's training slot (or say to wait) and hand out a
        stop token for this page."""
        if not MODEL_NAME.fullmatch(name or ""):
            raise ValueError("Give the model a name of letters, digits, '-', '_' or '.' (up to 60).")
        key = getattr(request, "session_hash", None) or "script"
        with TRAINING.hold(f"{what} '{name}'"):
            token = self._tokens.setdefault(key, StopToken())
            token.reset()
            try:
                yield token
            finally:
                self._tokens.pop(key, None)

    def stop(self, request: gr.Request) -> str:
        """The Stop button: ask this page's training to end after its current step."""
        token = self._tokens.get(getattr(request, "session_hash", None) or "script")
        if token is None:
            return "Nothing is training from this page."
        token.stop()
        return "Stopping after this step; the last checkpoint is kept…"


def add_model_file(path: str, user_dir: Path, engine: str) -> tuple[str, Checkpoint]:
    """Copy an uploaded checkpoint of `engine` into the artist's models (never over one they have);
    returns its label and checkpoint. Other engines' files and foreign pickles are refused."""
    ck = load_checkpoint(path, engine=engine)
    dest, n = user_dir / Path(path).name, 1
    while dest.exists():
        n += 1
        dest = user_dir / f"{Path(path).stem}-{n}.pt"
    shutil.copyfile(path, dest)
    return f"{dest.stem} (yours)", ck


def label_for_recipe(found: dict[str, Path], rec: dict) -> str:
    """The model list's label for the model a recipe names (by file hash, else by name)."""
    label = next((lbl for lbl, p in found.items() if file_hash(p) == rec.get("checkpoint")), None)
    label = label or next((lbl for lbl in found if lbl.startswith(str(rec.get("model")))), None)
    if label is None:
        raise ValueError(f"The model that made this ({rec.get('model')}) is not here; add it under Models.")
    return label
