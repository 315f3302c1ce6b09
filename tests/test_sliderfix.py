"""A slider that sends no number (an emptied box, NaN typed in) gets a sentence, not a bare error."""

from __future__ import annotations

import gradio as gr
import pytest

from studio import sliderfix


def test_a_slider_without_a_number_names_itself_and_its_range():
    sliderfix.install()
    slider = gr.Slider(0, 1.5, value=0.2, label="Truncation")
    with pytest.raises(gr.Error, match=r"Truncation needs a number from 0 to 1\.5\."):
        slider.preprocess(None)
    with pytest.raises(gr.Error, match="Truncation needs a number"):
        slider.preprocess(float("nan"))
    assert slider.preprocess(0.7) == 0.7
    with pytest.raises(gr.Error, match="greater than maximum"):  # gradio's own bounds message stays
        slider.preprocess(3.0)
