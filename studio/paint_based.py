"""The Paint tab's picture events while an artist's picture is the *base* (see paint_panels, My
picture): the live picture, Keep, variations, keyframes and the Recent strip drawn from the base with
the tab's truncation, direction sliders and variation steps; and `with_base`, which gives each of the
tab's events one more input, the base, and hands the call to these handlers while one is set."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr
from PIL import Image

from engines import limits
from engines.jobs import LIVE
from engines.paint import based, controls, inverted
from studio import common, history
from studio.common import friendly
from studio.paint_base import N_SLIDERS, display, load


# ------------------------------------------------------------------ handlers: the picture from the base
@friendly
def paint_from_base(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None = None,
    request: gr.Request | None = None,
) -> Image.Image:
    """The Paint picture drawn from the artist's picture (base) with truncation, sliders and variation steps."""
    model = load(model_label, request)
    with LIVE.live():
        return display(inverted.draw(model, based.picture(model, base, psi, sliders, nudges)))


@friendly
def keep_base(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    upscale: int,
    request: gr.Request | None = None,
) -> str:
    """Keep the picture drawn from the artist's picture, its recipe carrying the base and the kept input."""
    model = load(model_label, request)
    checked = based.check_state(model, base)
    pic, scale = based.picture(model, checked, psi, sliders, nudges), controls.upscale(upscale)
    ws = common.workspace(request)
    ws.check_room()
    out = ws.store.save_image(
        inverted.draw(model, pic, scale), based.recipe(model, pic, checked, scale), title=based.title(model, pic)
    )
    gr.Info("Kept in the Gallery.")
    return str(out.path)


@friendly
def base_variations(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    spread: float,
    var_seed: int,
    request: gr.Request | None = None,
) -> list[tuple[Image.Image, Any]]:
    """Nine neighbours of the picture drawn from the base (the centre one is the picture itself)."""
    model = load(model_label, request)
    pic = based.picture(model, base, psi, sliders, nudges)
    seed = limits.whole(var_seed, "The variation seed", 0, limits.MAX_SEED)
    with LIVE.live():
        pics = inverted.variations(model, pic, seed, controls.spread(spread))
    return [(display(p), "here" if i == controls.CENTRE else None) for i, p in enumerate(pics)]


@friendly
def add_base_keyframe(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    keyframes: list | None,
    request: gr.Request | None = None,
) -> tuple[list[dict], list]:
    """Add the picture drawn from the base to the morph's keyframes; returns the keyframes and their pictures."""
    keys = controls.keyframe_list(keyframes, room_for=1)
    model = load(model_label, request)
    checked = based.check_state(model, base)
    pics = [*based.check_keyframes(model, keys), based.picture(model, checked, psi, sliders, nudges)]
    keys = [*keys, based.keyframe(model_label, model, pics[-1], checked)]
    return keys, [based.draw(model, p) for p in pics]


@friendly
def remember_base(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    entries: list | None,
    request: gr.Request | None = None,
) -> tuple:
    """Put the settled picture drawn from the base in front of the tab's Recent strip (nothing without a base)."""
    if not base:
        return gr.skip(), gr.skip()
    model = load(model_label, request)
    checked = based.check_state(model, base)
    pic = based.picture(model, checked, psi, sliders, nudges)
    rec = based.recipe(model, pic, checked)
    if any(e["recipe"] == rec for e in entries or []):
        return entries, gr.skip()
    return history.push(entries, inverted.draw(model, pic), rec, "my picture")


# ------------------------------------------------------------------ the tab's hook
def with_base(event: Callable[..., Any], base_fn: Callable[..., Any]) -> Callable[..., Any]:
    """The Paint tab's picture event `event` (one input per slider: model_label, ..., psi, direction_1..N,
    nudges, [extras...], request) taking one more input, `base` (a gr.State, so the API does not show it),
    before `request`: with no base it is `event`; with one it calls
    `base_fn(model_label, base, psi, sliders, nudges, *extras, request=request)` (paint_from_base,
    keep_base, base_variations, add_base_keyframe or remember_base)."""
    params = list(inspect.signature(event).parameters.values())
    names = [p.name for p in params]
    at = names.index("request") if "request" in names else len(params)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    shown = [*params[:at], inspect.Parameter("base", kind, default=None), *params[at:]]
    after_nudges = names.index("nudges") + 1

    def call(*args: Any) -> Any:
        base, rest = args[at] if len(args) > at else None, [*args[:at], *args[at + 1 :]]
        if not base:
            return event(*rest)
        got = dict(zip(names, rest))
        sliders = [got[f"direction_{i + 1}"] for i in range(N_SLIDERS)]
        return base_fn(
            got["model_label"],
            base,
            got["psi"],
            sliders,
            got["nudges"],
            *rest[after_nudges:at],
            request=got.get("request"),
        )

    if inspect.isgeneratorfunction(event):  # a streaming event (the sweep) stays a generator for gradio

        def wrapped(*args: Any) -> Any:
            yield from call(*args)

    else:

        def wrapped(*args: Any) -> Any:
            return call(*args)

    wrapped.__signature__ = inspect.Signature(shown)  # type: ignore[attr-defined]
    wrapped.__annotations__ = dict(getattr(event, "__annotations__", {}))
    wrapped.__name__ = wrapped.__qualname__ = getattr(event, "__name__", "handler")
    wrapped.__doc__ = event.__doc__
    return wrapped
