"""What the Stylize tab keeps per workspace while its jobs run: each job's Stop token (so any page
of the workspace can stop it), the output a job last kept (the history strip takes it), and Keep
itself: a picture saved with its recipe and the inputs it was made from, room checked first."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines.jobs import StopToken
from engines.outputs import OutputStore
from engines.stylize.inputs import input_size
from studio.common import workspace

_stops: dict[str, StopToken] = {}
"""Stop tokens of the running Gatys, Dream and sweep jobs, keyed '<workspace>:<job>'."""
last_kept: dict[str, tuple[str, dict]] = {}
"""The last output Gatys or Dream kept, keyed '<workspace>:<job>' (the history strip takes it)."""


def keep_picture(image: Image.Image, job: Any, title: str, request: gr.Request | None, *recipe_args: Any) -> str:
    """Keep `image` and the inputs it was made from (room checked first) with its recipe; returns its path."""
    ws = workspace(request)
    ws.check_room(image.width * image.height * 3 + input_size(job.input_paths()))
    rec = job.recipe(*recipe_args, refs=job.keep_inputs(ws.store))
    return str(ws.store.save_image(image, rec, title=title).path)


def keep_last(image: Image.Image, job: Any, name: str, request: gr.Request | None, *recipe_args: Any) -> str:
    """Keep the last picture of a slow job (`name`: 'gatys' or 'dream') and remember it for the history strip."""
    path = keep_picture(image, job, job.title(), request, *recipe_args)
    last_kept[f"{workspace(request).name}:{name}"] = (path, recipes.read(path))
    return path


def token(request: gr.Request | None, job: str) -> StopToken:
    """A fresh stop token for this workspace's `job` ('gatys', 'dream' or 'sweep')."""
    found = _stops.setdefault(f"{workspace(request).name}:{job}", StopToken())
    found.reset()
    return found


def stop(job: str, request: gr.Request | None) -> None:
    """Stop this workspace's `job`, from whichever of its pages asks."""
    found = _stops.get(f"{workspace(request).name}:{job}")
    if found:
        found.stop()


def store_of(request: gr.Request | None) -> OutputStore | None:
    """The caller's outputs (None when the request names no workspace)."""
    try:
        return workspace(request).store
    except (ValueError, KeyError):
        return None
