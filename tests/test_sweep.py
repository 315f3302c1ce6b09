"""Sweeps (engines/sweep.py, sweep_axes.py, sweep_grid.py): a setting along X and another along Y,
each cell made once, shown as a labelled grid of pictures, one sound playing the cells in turn, or a
table of texts; bounded and replayable."""

import numpy as np
import pytest
from PIL import Image

from engines import sweep, sweep_axes
from engines.jobs import StopToken
from engines.paint import explore
from engines.paint import sweep as paint_sweep


@pytest.fixture(scope="module")
def model():
    return explore.load_model(explore.BUNDLED_DIR / "emoji.pt")


def _ink(im: Image.Image, box) -> float:
    """Share of dark pixels in a region (text in a margin)."""
    return float((np.asarray(im.crop(box).convert("L")) < 128).mean())


def test_a_paint_sweep_makes_every_cell_and_labels_both_axes(model):
    base = {"seed": 11, "psi": explore.PSI_ANCHOR, "classes": {"faces": 1.0}}
    x, y = ("truncation", "0.2, 0.6, 1.0"), ("class", "faces, symbols")
    events = list(paint_sweep.paint_sweep(model, base, x, y, preview_every=2))
    cells = events[-1].cells
    assert events[-1].done and len(cells) == 6
    assert [(c.col, c.row) for c in cells] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    assert [c.x for c in cells[:3]] == [0.2, 0.6, 1.0] and {c.y for c in cells} == {"faces", "symbols"}
    assert [e.fraction for e in events[:-1]] == pytest.approx([i / 6 for i in range(1, 7)])
    assert any(e.preview is not None for e in events)
    # a cell is the picture the tab would draw for those settings
    tab = explore.generate(model, 11, 0.6, {"symbols": 1.0}, upscale=2)
    assert np.array_equal(np.asarray(cells[4].output), np.asarray(tab))
    xa, ya = paint_sweep.axes(model, base, x, y)
    grid = paint_sweep.grid(model, cells, xa, ya)
    side = 128
    assert grid.width > 3 * side and grid.height > 2 * side
    # the margins carry text: over the columns (X values) and beside the rows (Y values)
    top = grid.height - 2 * (side + 4) - 10
    left = grid.width - 3 * (side + 4) - 10
    assert _ink(grid, (left, 0, grid.width, top)) > 0.005
    assert _ink(grid, (0, top, left, grid.height)) > 0.005
    assert _ink(grid, (left + 20, top + 20, left + 100, top + 100)) > 0.0  # a picture sits in the first cell


def test_sweeps_are_bounded_and_bad_axes_get_messages(model):
    with pytest.raises(ValueError, match="at most 100"):
        sweep.check_axes(("a", list(range(11))), ("b", list(range(10))))
    with pytest.raises(ValueError, match="at most 25"):
        sweep.check_axes(("a", list(range(26))), ("b", [1]))
    base = {"seed": 1}
    with pytest.raises(ValueError, match="cannot move 'loudness'"):
        paint_sweep.axes(model, base, ("loudness", "1, 2"), ("seed", "1, 2"))
    with pytest.raises(ValueError, match="two different"):
        paint_sweep.axes(model, base, ("seed", "1, 2"), ("seed", "3, 4"))
    with pytest.raises(ValueError, match="between"):
        paint_sweep.axes(model, base, ("truncation", "0.5, 9"), ("seed", "1, 2"))
    with pytest.raises(ValueError, match="no class"):
        paint_sweep.axes(model, base, ("class", "faces, dragons"), ("seed", "1"))
    with pytest.raises(ValueError, match="no seed"):
        paint_sweep.axes(model, {"base": [0.1] * 128}, ("seed", "1, 2"), ("truncation", "1"))
    with pytest.raises(ValueError, match="Type the values"):
        sweep_axes.axis("seed", "  ")


def test_typed_values_become_numbers_words_or_even_steps():
    assert sweep_axes.parse_values("0.2, 1, faces") == [0.2, 1, "faces"]
    assert sweep_axes.parse_values("0:1:5") == [0, 0.25, 0.5, 0.75, 1]
    assert sweep_axes.parse_values("-2:2:3") == [-2, 0, 2]
    with pytest.raises(ValueError, match="finite"):
        sweep_axes.parse_values("1, nan")


def test_a_sound_sweep_plays_its_cells_in_order_with_gaps():
    sr = 8000

    def tone(x, y):
        return sr, (0.3 * np.sin(2 * np.pi * x * y * np.arange(sr // 2) / sr)).astype(np.float32)

    cells = sweep.run_all(tone, ("pitch", [220, 330]), ("octave", [1, 2]))
    rate, track = sweep.sound_track(cells)
    assert rate == sr and len(track) == 4 * (sr // 2) + 3 * round(sweep.GAP_SECONDS * sr)
    gap = track[sr // 2 : sr // 2 + round(sweep.GAP_SECONDS * sr)]
    assert np.abs(gap).max() == 0 and np.abs(track[: sr // 2]).max() > 0.2
    labels = [label for label, _ in sweep.cell_sounds(cells)]
    assert labels == ["220, 1", "330, 1", "220, 2", "330, 2"]
    assert sweep.finish(cells, *sweep.check_axes(("pitch", [220, 330]), ("octave", [1, 2]))).track is not None


def test_a_text_sweep_is_a_table_with_headers():
    xa, ya = sweep.check_axes(("temperature", "0.5, 1.0"), ("length", "10, 20, 30"))
    cells = sweep.run_all(lambda t, n: f"t={t} n={n}", xa, ya)
    table = sweep.text_table(cells, xa, ya)
    assert table[0] == ["length \\ temperature", "0.5", "1"]
    assert [row[0] for row in table[1:]] == ["10", "20", "30"]
    assert table[3][2] == "t=1.0 n=30"


def test_a_stop_ends_a_sweep_with_the_cells_made_so_far():
    stop = StopToken()
    made = []

    def cell(x, y):
        made.append((x, y))
        if len(made) == 3:
            stop.stop()
        return f"{x}{y}"

    events = list(sweep.run(cell, ("a", [1, 2, 3]), ("b", [1, 2, 3]), stop))
    assert events[-1].stopped and len(events[-1].cells) == 3 and len(made) == 3


def test_a_sweep_recipe_replays_the_same_cells():
    xa, ya = sweep.check_axes(("strength", "0.1, 0.9"), ("size", "256, 512"))
    rec = sweep.recipe("stylize", xa, ya, {"style": "waves", "strength": 0.5})
    make = lambda s: f"{s['style']} {s['strength']} {s['size']}"  # noqa: E731
    first = [c.output for c in list(sweep.settings_sweep(make, rec["base"], xa, ya))[-1].cells]
    again = [c.output for c in list(sweep.replay(make, rec))[-1].cells]
    assert first == again == ["waves 0.1 256", "waves 0.9 256", "waves 0.1 512", "waves 0.9 512"]
    with pytest.raises(ValueError, match="not a sweep"):
        sweep.axes_of({"engine": "paint"})
