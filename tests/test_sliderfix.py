"""A slider that sends no number (an emptied box, NaN typed in) or one past its ends gets a sentence."""

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
    assert slider.preprocess(0) == 0 and slider.preprocess(1.5) == 1.5  # both ends are in range
    for beyond in (3.0, -0.1, 1e308, "a lot", True):  # past either end, or not a number: the same sentence
        with pytest.raises(gr.Error, match=r"Truncation needs a number from 0 to 1\.5\.") as err:
            slider.preprocess(beyond)
        assert not err.value.print_exception  # a message for the artist, no traceback in the log
