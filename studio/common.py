"""What every tab shares: the studio context, plain-words help, and turning engine errors
into messages the artist can read (gr.Error) instead of tracebacks."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from engines import limits
from engines.checkpoints import Checkpoint, CheckpointError, file_hash
from engines.checkpoints import load as load_checkpoint
from engines.jobs import LIVE, TRAINING, Busy, StopToken, Ticket
from engines.recipe import RecipeError
from engines.settings import Settings
from engines.workspace import Workspace, Workspaces

log = logging.getLogger("atelier")

FRIENDLY_ERRORS = (ValueError, KeyError, RecipeError, CheckpointError, Busy, FileNotFoundError)


@dataclass
class Studio:
    """The running studio, set once at build time: launch settings, the device, and how requests
    map to workspaces. Handlers reach it through `studio()` and `workspace(request)`."""

    settings: Settings
    workspaces: Workspaces
    train_minutes_cap: float | None = None  # per-run limit on a shared studio (None: none)

    @property
    def shared(self) -> bool:
        return self.workspaces.shared

    @property
    def device(self) -> str:
        return str(self.settings.torch_device())


_STUDIO: Studio | None = None


def configure(
    settings: Settings | None = None,
    *,
    shared: bool = False,
    quota_mb: float | None = 500,
    train_minutes: float | None = 20,
    trainings: int = 1,
) -> Studio:
    """Set up the studio every handler serves (build_app calls this; tests may too)."""
    global _STUDIO
    settings = settings or Settings()
    quota = int(quota_mb * 1_000_000) if (shared and quota_mb) else None
    workspaces = Workspaces(settings.outputs_dir, settings.models_dir, settings.workspaces_dir, shared, quota)
    _STUDIO = Studio(settings, workspaces, float(train_minutes) if (shared and train_minutes) else None)
    TRAINING.slots = max(1, int(trainings))
    return _STUDIO


def studio() -> Studio:
    """The configured studio (a local one over the default folders if nothing configured it)."""
    return _STUDIO or configure()


WORKSPACE_HEADER = "x-atelier-workspace"
WORKSPACE_COOKIE = "atelier_ws"


def workspace_key(request: gr.Request | None) -> str | None:
    """The key a request presents: a signed-in Hugging Face account, else the X-Atelier-Workspace
    header (scripts), else the browser's atelier_ws cookie, else one derived from its session, so a
    script that presents nothing is a visitor of its own."""
    if request is None:
        return None
    try:
        account = (request.session or {}).get("oauth_info", {}).get("userinfo", {}).get("preferred_username")
    except (AttributeError, AssertionError, KeyError, TypeError):
        account = None
    if account:
        return "hf-" + hashlib.sha256(f"hf:{account}".encode()).hexdigest()[:40]
    headers = dict(getattr(request, "headers", None) or {})
    cookies = dict(getattr(request, "cookies", None) or {})
    key = headers.get(WORKSPACE_HEADER) or cookies.get(WORKSPACE_COOKIE)
    if key:
        return str(key).strip()
    session = getattr(request, "session_hash", None)
    return "session-" + hashlib.sha256(f"session:{session}".encode()).hexdigest()[:40] if session else None


def workspace(request: gr.Request | None) -> Workspace:
    """The workspace a request may read and write: the local one in a local studio, the visitor's
    own in a shared one (a request without any key gets no workspace there)."""
    return studio().workspaces.get(workspace_key(request))


@dataclass
class StudioContext:
    """Handed to every tab's `build`: the Blocks, the tabs, and a place where tabs offer to
    restore their controls from a recipe (used by the Gallery)."""

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


def _translate(err: BaseException, fn: Callable[..., Any]) -> gr.Error:
    """The gr.Error a handler's exception becomes: its own message, or a short apology (logged)."""
    if isinstance(err, gr.Error):
        return err
    if isinstance(err, FRIENDLY_ERRORS):
        return gr.Error(_message(err), print_exception=False)
    log.exception("unexpected error in %s", getattr(fn, "__name__", fn))
    return gr.Error(
        "Something went wrong on the studio's side and this request was not finished. "
        "Your earlier work is safe; try again, or with other settings.",
        print_exception=False,
    )


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler (plain or generator) so known engine errors become gr.Error
    with their own message, and anything unexpected becomes a short apology, never a traceback."""

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - translated for the UI
                raise _translate(err, fn) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - translated for the UI
            raise _translate(err, fn) from None

    return wrapper


def status_says_why(outputs: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a streaming handler with `outputs` outputs, the first its status line (a training): when it
    fails, before or after it began streaming, the status line says why instead of keeping an earlier
    line ("Reading…", or the last run's "Done"); the error is then raised as usual (the same message
    in gradio's error toast, and for a script)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - said in the status, then translated for the UI
                error = _translate(err, fn)
                said = f"**Not finished:** {error.message}"
                yield (said, *[gr.update()] * (outputs - 1)) if outputs > 1 else said
                raise error from None

        return gen_wrapper

    return wrap


def live(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a handler as live (a slider, a preview): while it runs, trainings pause between steps,
    so sliders stay quick on a machine that is also training."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with LIVE.live():
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- shared by the tabs that train
MODEL_NAME = re.compile(r"[\w.-]{1,60}")


TRAINING_EVENT = dict(concurrency_id="training", concurrency_limit=16, show_progress="hidden")
"""How every tab wires its Train button: many handlers may wait at once, each showing its place in
the studio's own training queue (which lets `--trainings` of them run)."""


@contextlib.contextmanager
def training_ticket(what: str, name: str, request: gr.Request | None) -> Iterator[Ticket]:
    """Check the model's name and take a place in the studio's training queue for this workspace
    (Busy if it already has one); the place is given up when the block ends."""
    if not MODEL_NAME.fullmatch(name or ""):
        raise ValueError("Give the model a name of letters, digits, '-', '_' or '.' (up to 60).")
    ws = workspace(request)
    ws.check_room()
    ticket = TRAINING.join(ws.name, f"{what} '{name}'", getattr(request, "session_hash", None))
    try:
        yield ticket
    finally:
        ticket.release()


def wait_turn(ticket: Ticket) -> Iterator[str]:
    """Yield a status line about once a second until the ticket may run; ValueError if the
    visitor pressed Stop while waiting."""
    while not ticket.wait(1.0):
        if ticket.stop_token.stopped:
            raise ValueError("Stopped before it started; nothing was trained.")
        yield (
            f"**Waiting for the studio's training slot**: you are number {ticket.position} in line. "
            f"{TRAINING.describe()}"
        )


def budget_s(minutes: float | None) -> float | None:
    """A run's time budget in seconds: the artist's limit (0 or None: none), capped on a shared studio."""
    minutes = limits.number(minutes or 0, "The time limit in minutes", 0, 24 * 60)
    cap = studio().train_minutes_cap
    if cap is not None:
        minutes = min(minutes, cap) if minutes else cap
    return minutes * 60 if minutes else None


E = TypeVar("E")


def finish_on_close(events: Iterator[E], stop: StopToken) -> Iterator[E]:
    """Pass a training's events through; if whoever reads them goes away (the page closed), ask the
    training to stop and run it to its end, so its last checkpoint is saved rather than lost."""
    finished = False
    try:
        for ev in events:
            yield ev
        finished = True
    finally:
        if not finished:
            stop.stop()
            for _ in events:
                pass


def stop_training(request: gr.Request | None) -> str:
    """The Stop button: stop this workspace's training, from whichever page started it."""
    if TRAINING.stop(owner=workspace(request).name) == 0:
        return "Nothing is training in your workspace."
    return "Stopping after this step; the last checkpoint is kept…"


def page_closed(request: gr.Request) -> None:
    """When a page goes away, the trainings it started stop (and save) instead of running unseen."""
    TRAINING.stop(session=getattr(request, "session_hash", None))


def one_input_per_slider(handler: Callable[..., Any], n: int, name: str, param: str = "sliders") -> Callable[..., Any]:
    """`handler` as gradio calls it: each of `n` sliders is an input of its own, while the handler takes
    them as one list, its parameter `param`. gradio reads the returned function's signature (sliders
    named `<name>_1`..), so it still fills a `request: gr.Request | None` and the API names each slider."""
    params = list(inspect.signature(handler).parameters.values())
    at = [p.name for p in params].index(param)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    shown = [
        *[p.replace(kind=kind, annotation=inspect.Parameter.empty) for p in params[:at]],
        *[inspect.Parameter(f"{name}_{i + 1}", kind) for i in range(n)],
        *[p.replace(kind=kind, annotation=inspect.Parameter.empty) for p in params[at + 1 :]],
    ]

    def call(args: tuple) -> Any:
        return handler(*args[:at], list(args[at : at + n]), *args[at + n :])

    if inspect.isgeneratorfunction(handler):  # a streaming handler stays a generator for gradio

        def event(*args: Any) -> Any:
            yield from call(args)

    else:

        def event(*args: Any) -> Any:
            return call(args)

    event.__signature__ = inspect.Signature(shown)  # type: ignore[attr-defined]
    event.__annotations__ = {"request": gr.Request | None} if "request" in {p.name for p in shown} else {}
    event.__name__ = event.__qualname__ = getattr(handler, "__name__", "handler")
    event.__doc__ = handler.__doc__
    return event


def pick_model(found: dict[str, Path], label: str | None, what: str) -> Path:
    """The file behind a model list's label, or a message naming the choices (the one model picker)."""
    if not found:
        raise ValueError(f"No {what} yet: train one in the Train panel below.")
    if label not in found:
        raise ValueError(f"There is no {what} called {str(label)[:80]!r} here; choose one of: {', '.join(found)}.")
    return found[label]


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


def clock(seconds: float | None) -> str:
    """Seconds as an artist reads them: '42 s', '3 min 05 s', or '…' when not known yet."""
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def training_line(ev: Any, name: str, described: str = "", extra: str = "") -> str:
    """The status line of a training (an engines.events.TrainEvent), the same in every tab: step of
    total, what it learns from, time so far and about how long is left; at the end, how it was saved."""
    if ev.done:
        return f"**Done**: {ev.message.rstrip('.')}. The model **{name} (yours)** is in the list."
    if not ev.step:  # before the first step: data read, the machine's pace being measured
        parts = [described, extra, "timing the first steps…"]
    else:
        parts = [_step_of(ev), described, extra, f"{clock(ev.seconds)} so far"]
        parts.append(f"about {clock(ev.eta_s)} left")
    return f"**{ev.message or 'training'}**: " + " · ".join(p for p in parts if p)


def _step_of(ev: Any) -> str:
    """ "step 140 of 400", or, when the engine says a time limit will end the run well before its last step,
    "step 140 of about 300 (time limit)": the steps the time left holds at its pace."""
    if ev.stats.get("reach"):
        return f"step {ev.step} of about {int(ev.stats['reach'])} (time limit)"
    return f"step {ev.step} of {ev.total}"
