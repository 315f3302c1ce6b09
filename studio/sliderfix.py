"""A slider's number box left empty or holding text a browser cannot read as a number (NaN) sends
no value; gradio then fails inside its own bounds check before any handler runs, and the artist sees
nothing but a red badge; a number past either end (1e308 typed in the box) gets gradio's own wording
and a logged traceback. Here each gets a sentence naming the slider and its range instead."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

_ORIGINAL_PREPROCESS = gr.Slider.preprocess


def _preprocess(self: gr.Slider, payload: Any) -> float:
    number = isinstance(payload, (int, float)) and not isinstance(payload, bool)
    if not number or not math.isfinite(payload) or not self.minimum <= payload <= self.maximum:
        name = self.label or "This slider"
        raise gr.Error(f"{name} needs a number from {self.minimum:g} to {self.maximum:g}.", print_exception=False)
    return _ORIGINAL_PREPROCESS(self, payload)


def install() -> None:
    """Give every slider the message (idempotent)."""
    gr.Slider.preprocess = _preprocess  # type: ignore[method-assign]
