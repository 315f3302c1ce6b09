"""The studio's shared helpers: one gradio input per slider, for plain and streaming handlers."""

from __future__ import annotations

import inspect

import gradio as gr

from studio import common


def test_one_input_per_slider_names_each_slider_and_keeps_the_request():
    def draw(model: str, sliders: list[float], scale: int, request: gr.Request | None = None) -> float:
        return sum(sliders) * scale

    event = common.one_input_per_slider(draw, 3, "direction")
    assert list(inspect.signature(event).parameters) == [
        "model",
        "direction_1",
        "direction_2",
        "direction_3",
        "scale",
        "request",
    ]
    assert event("m", 1.0, 2.0, 3.0, 2) == 12.0 and event.__annotations__ == {"request": gr.Request | None}


def test_a_streaming_handler_stays_a_generator_for_gradio():
    def sweep(model: str, sliders: list[float], cells: int):
        for i in range(cells):
            yield i + sum(sliders)

    event = common.one_input_per_slider(common.friendly(sweep), 2, "timbre")
    assert inspect.isgeneratorfunction(event)  # gradio streams it instead of taking the generator as one value
    assert list(event("m", 1.0, 1.0, 3)) == [2.0, 3.0, 4.0]


def test_no_function_in_the_studio_is_longer_than_80_lines():
    import ast
    from pathlib import Path

    long = []
    for path in sorted((Path(common.__file__).parent).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.name}:{node.name}")
    assert long == []


def test_every_tab_reads_a_training_the_same_way():
    from engines.events import TrainEvent
    from studio.common import clock, training_line

    assert (clock(None), clock(42.4), clock(185)) == ("…", "42 s", "3 min 05 s")
    running = TrainEvent(step=30, total=400, losses={"train": 2.1}, seconds=65, eta_s=802, message="training")
    line = training_line(running, "mine", "3 texts", "loss 2.100")
    assert line == "**training**: step 30 of 400 · 3 texts · loss 2.100 · 1 min 05 s so far · about 13 min 22 s left"
    # a time limit that ends the run long before its step cap: the steps it will reach, not the cap
    limited = TrainEvent(step=141, total=5000, seconds=47, eta_s=13, message="training", stats={"reach": 180})
    assert training_line(limited, "mine").startswith("**training**: step 141 of about 180 (time limit) · 47 s so far")
    starting = TrainEvent(step=0, total=400, message="fine-tuning shakespeare")
    assert (
        training_line(starting, "mine", "3 texts") == "**fine-tuning shakespeare**: 3 texts · timing the first steps…"
    )
    done = TrainEvent(step=400, total=400, done=True, message="Finished at step 400 of 400. Saved mine (4 MB).")
    assert training_line(done, "mine") == (
        "**Done**: Finished at step 400 of 400. Saved mine (4 MB). The model **mine (yours)** is in the list."
    )
