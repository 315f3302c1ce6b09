"""New sessions do not copy the whole page's configuration, yet a session still describes every
component when asked (what gradio's deep links read)."""

from __future__ import annotations

import gradio as gr
from gradio.state_holder import SessionState

from studio import sessionfix


def test_a_new_session_is_light_and_still_complete():
    with gr.Blocks() as demo:
        boxes = [gr.Textbox(value=f"box {i}", label=f"b{i}") for i in range(50)]
        gr.Button("go")
    sessionfix.install()
    state = SessionState(demo)
    assert state.config_values == {}  # nothing copied up front
    state._update_value_in_config(boxes[3]._id, "changed")  # a handler's new value is recorded
    assert state.config_values == {}  # without building the component's configuration
    configs = list(state.components)
    values = {c["props"].get("label"): c["props"].get("value") for c in configs if "props" in c}
    assert len([c for c in configs if c.get("type") == "textbox"]) == 50
    assert values["b3"] == "changed" and values["b7"] == "box 7"
