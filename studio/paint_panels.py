"""Paint's **My picture** panel (/paint_invert) and the hook-up of its **Move with sound** panel
(studio/paint_sound.py, /paint_morph_to_sound). My picture finds an artist's picture in the model
(GAN inversion, engines/paint/invert.py) and, once *Use it* is pressed, makes it the *base* of the Paint
picture: truncation, direction sliders, variations, Keep and keyframes then act on it.

The base is a small dict (engines/paint/based.py) held in the tab's gr.State `ui.base`; this panel sets
and clears it, and the tab's own events draw from it while it is set (studio/paint_based.py). The
Paint tab's `build` calls `build(ctx, tab, ui)` at its end. Reopening a picture drawn from a base, or a
sound-timed morph, is registered here with the tab's restorers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines import limits
from engines.jobs import StopToken
from engines.paint import based, invert, inverted
from engines.stylize.pictures import check_picture
from studio import common
from studio import paint_sound as sound_panel
from studio.common import friendly, one_input_per_slider
from studio.paint_base import (
    N_SLIDERS,
    PANEL_RESTORERS,
    QUIET,
    RESTORE_FIELDS,
    display,
    load,
    models,
    restore_recipe,
    slider_updates,
)
from studio.paint_based import add_base_keyframe, keep_base
from studio.paint_sound import paint_morph_to_sound, sound_choices, stop_sound_morph  # noqa: F401 (this panel's API)
from studio.stylize_inputs import picture_upload

MINE = based.KIND  # the recipe kind of a kept picture drawn from an artist's picture
SUFFIX = {"JPEG": ".jpg", "MPO": ".jpg", "TIFF": ".tif"}  # picture type -> the kept input's suffix

_stops: dict[str, StopToken] = {}
"""Stop tokens of running inversions, keyed by workspace (Stop works from any of its pages)."""


def _token(request: gr.Request | None) -> StopToken:
    token = _stops.setdefault(common.workspace(request).name, StopToken())
    token.reset()
    return token


def stop_invert(request: gr.Request | None = None) -> str:
    """The Stop button of My picture (any page of the workspace)."""
    token = _stops.get(common.workspace(request).name)
    if token is None:
        return "Nothing is being searched."
    token.stop()
    return "Stopping; the closest so far is kept…"


# ------------------------------------------------------------------ handlers: finding the picture
@friendly
def paint_invert(
    model_label: str,
    picture: str | None,
    fit: str = "pad",
    seconds: float = invert.SECONDS,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Find an uploaded picture in the model: streams (its drawing so far, status, found base or None)."""
    if not picture:
        raise ValueError("Add a picture first (PNG, JPEG or WebP).")
    kind = check_picture(picture, "Your picture")[2]  # header only: not a picture, too many pixels, animated
    if fit not in invert.FITS:
        raise ValueError(f"Fit must be one of {', '.join(invert.FITS)}.")
    secs = limits.number(seconds, "The search time in seconds", 1.0, invert.MAX_SECONDS)
    model = load(model_label, request)
    ws = common.workspace(request)
    ws.check_room(Path(picture).stat().st_size)
    token = _token(request)
    yield None, "Looking for your picture in the model…", None
    result = None
    for ev in invert.invert(model, picture, seconds=secs, fit=fit, stop=token):
        result = ev.result
        if result is None:
            yield display(ev.preview), f"Searching… {ev.fraction:.0%} ({ev.message})", None
    assert result is not None
    ref = ws.store.keep_input(picture, SUFFIX.get(kind, f".{kind.lower()}"))
    found = based.state(model_label, model, result, ref)
    how = "Stopped; the closest so far" if result.stopped else "Found it"
    classes = ", ".join(f"{k} {v:.0%}" for k, v in result.blend.items())
    yield (
        display(result.reconstruction),
        f"**{how}** ({classes}): off by {result.l1:.3f} on average (0 = the "
        f"same), {result.steps} steps in {result.seconds:.1f} s. Press **Use it** to paint from it.",
        found,
    )


@friendly
def use_base(model_label: str, found: dict | None, request: gr.Request | None = None) -> tuple:
    """Make the found picture the base of the Paint picture: (base, truncation 1, sliders at 0, no
    variation steps, the picture, a note)."""
    if not found:
        raise ValueError("Find your picture in the model first.")
    model = load(model_label, request)
    base = based.check_state(model, found)
    image = display(inverted.draw(model, based.picture(model, base, 1.0)))
    note = (
        "**Painting from your picture.** Truncation, directions, variations, Keep and keyframes act on it; "
        "a new seed, class or model (or *Back to seeds*) leaves it."
    )
    return (base, 1.0, *[0.0] * N_SLIDERS, [], image, note)


def leave_base(base: dict | None = None) -> tuple:
    """Back to pictures from seeds (a new seed, class or model, or Back): no base, and both notes say
    so, the tab's own replacing one about the artist's picture; nothing changes when none was in use."""
    if not base:
        return gr.skip(), gr.skip(), gr.skip()
    return None, "Painting from seeds.", "Back to pictures from seeds."


# ------------------------------------------------------------------ reopening (the tab's restore_recipe)
def _restore_fields(values: dict) -> list:
    """Updates for the tab's RESTORE_FIELDS (every field not in `values` left as it is)."""
    return [values.get(field, gr.update()) for field in RESTORE_FIELDS]


def restore_mine(rec: dict, request: gr.Request | None = None) -> list:
    """A picture drawn from an artist's picture (its recipe, or a keyframe with a base) -> updates for
    RESTORE_FIELDS: model, truncation, variation steps, sliders, the picture and, when the tab has
    the field, the base itself (seed and classes stay as they are)."""
    base, psi, sliders, nudges = based.from_recipe(rec)
    found = models(request)
    label = common.label_for_recipe(found, rec) if rec.get("checkpoint") else rec.get("model")
    model = load(label, request)
    base = {**based.check_state(model, {**base, "checkpoint": model.hash}), "model": label}
    pic = based.picture(model, base, psi, sliders, nudges)
    values = {
        "model": gr.Dropdown(choices=list(found), value=label),
        "psi": pic.psi,
        "nudges": [list(n) for n in pic.nudges],
        "image": display(inverted.draw(model, pic)),
        "base": base,
        "note": "Reopened a picture drawn from **your picture**.",
    }
    values.update(zip((f"direction_{i + 1}" for i in range(N_SLIDERS)), slider_updates(model, pic.sliders)))
    return _restore_fields(values)


def restore_sound_morph(rec: dict, request: gr.Request | None = None) -> list:
    """A kept sound-timed morph -> the picture controls of its first keyframe (a seed's or a base's)."""
    keys = rec.get("keyframes") if isinstance(rec.get("keyframes"), list) else []
    if not keys or not isinstance(keys[0], dict):
        raise ValueError("That morph's recipe has no keyframes.")
    first = {"engine": rec.get("engine"), "checkpoint": rec.get("checkpoint"), **keys[0]}
    first["model"] = rec.get("model")
    if "base" in first:
        back = restore_mine(first, request)
    else:
        back = restore_recipe({k: v for k, v in first.items() if k != "kind"}, request)
    at = RESTORE_FIELDS.index("note")
    back[at] = f"Reopened the first keyframe of a morph that moves with **{str(rec.get('sound'))[:60]}**."
    return back


PANEL_RESTORERS[MINE] = restore_mine
PANEL_RESTORERS[sound_panel.KIND] = restore_sound_morph


# ------------------------------------------------------------------ layout
def _mine_panel() -> SimpleNamespace:
    """The My picture accordion: upload beside its drawing, search settings, Find/Stop, Use it."""
    with gr.Accordion("My picture", open=False, elem_id="paint-mine-panel"):
        gr.Markdown(
            "Upload a picture; Atelier finds the closest the model can draw. **Use it** then makes it "
            "the Paint picture: truncation, directions, variations, keep and keyframes act on it."
        )
        with gr.Row():
            upload = picture_upload(label="Your picture", height=240, elem_id="paint-mine-upload")
            found_image = gr.Image(
                type="pil", label="Found in the model", height=240, interactive=False, elem_id="paint-mine-found"
            )
        with gr.Row():
            fit = gr.Radio(list(invert.FITS), value="pad", label="Fit to a square", elem_id="paint-mine-fit")
            seconds = gr.Slider(
                1,
                invert.MAX_SECONDS,
                value=invert.SECONDS,
                step=1,
                label="Search time (s)",
                elem_id="paint-mine-seconds",
            )
        with gr.Row():
            find = gr.Button("Find it in the model", variant="primary", elem_id="paint-mine-find")
            stop = gr.Button("Stop", variant="stop", elem_id="paint-mine-stop")
        status = gr.Markdown(elem_id="paint-mine-status")
        with gr.Row():
            use = gr.Button("Use it", elem_id="paint-mine-use")
            back = gr.Button("Back to seeds", elem_id="paint-mine-back")
            keep = gr.Button("Keep (from my picture)", elem_id="paint-mine-keep")
            add_key = gr.Button("Add as keyframe", elem_id="paint-mine-add-key")
        note = gr.Markdown(elem_id="paint-mine-note")
        kept = gr.File(label="Kept", interactive=False, height=80, elem_id="paint-mine-kept")
    return SimpleNamespace(
        upload=upload,
        found_image=found_image,
        fit=fit,
        seconds=seconds,
        find=find,
        stop=stop,
        status=status,
        use=use,
        back=back,
        keep=keep,
        add_key=add_key,
        note=note,
        kept=kept,
        found=gr.State(None),
    )


def build(ctx: common.StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> SimpleNamespace:
    """Lay out My picture and Move with sound below the Paint tab's panels and wire them to its
    components (`ui`: pic.*, out.image/upscale, nudges, keys, morph.key_strip, base)."""
    panels = SimpleNamespace(mine=_mine_panel(), sound=sound_panel.panel())
    _wire_mine(ui, panels.mine)
    sound_panel.wire(ctx, tab, ui, panels.sound)
    return panels


# ------------------------------------------------------------------ wiring
def _sliders(handler: Any) -> Any:
    """`handler` with one gradio input per direction slider."""
    return one_input_per_slider(handler, N_SLIDERS, "direction")


def _wire_mine(ui: SimpleNamespace, m: SimpleNamespace) -> None:
    """My picture: find (/paint_invert), stop, use it, back to seeds (also a new seed, class or model),
    and Keep and Add as keyframe from the base."""
    pic, out, base = ui.pic, ui.out, ui.base
    m.find.click(
        paint_invert,
        [pic.model_dd, m.upload, m.fit, m.seconds],
        [m.found_image, m.status, m.found],
        api_name="paint_invert",
        concurrency_id="paint_invert",
        concurrency_limit=1,
    )
    m.stop.click(stop_invert, None, m.status, api_visibility="private", queue=False)
    m.use.click(use_base, [pic.model_dd, m.found], [base, pic.psi, *pic.sliders, ui.nudges, out.image, m.note], **QUIET)
    gr.on(
        [m.back.click, pic.seed.input, pic.dice.click, pic.class_a.input, pic.class_b.input, pic.model_dd.input],
        leave_base,
        base,
        [base, m.note, out.note],
        queue=False,
        api_visibility="private",
    )
    base_inputs = [pic.model_dd, base, pic.psi, *pic.sliders, ui.nudges]
    m.keep.click(
        _sliders(keep_base), [*base_inputs, out.upscale], m.kept, api_visibility="private", concurrency_id="paint_live"
    )
    m.add_key.click(_sliders(add_base_keyframe), [*base_inputs, ui.keys], [ui.keys, ui.morph.key_strip], **QUIET)
