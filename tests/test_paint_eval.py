"""Paint's evaluation tools (engines/paint/eval): the pixel probe, a class probe that shares no
weights with any feature network a model could have been trained against."""

import pytest
import torch

from engines.paint import explore
from engines.paint.eval import pixel_probe
from engines.paint.images import to_tensor
from tests.paint_helpers import shapes, tiny_model


def test_pixel_probe_learns_from_pixels_round_trips_and_reads_a_model(tmp_path):
    data = shapes(n=64)
    net, acc = pixel_probe.fit(data.images, data.labels, 2, steps=60, batch=16)
    assert acc >= 0.85  # discs vs squares on the held-out 20%
    path = pixel_probe.save(tmp_path / "probe.pt", net, data.class_names, acc, "shapes")
    again, meta = pixel_probe.load(path)
    x = to_tensor(data.images[:8])
    with torch.no_grad():
        assert torch.equal(net(x).argmax(1), again(x).argmax(1))
    assert meta["class_names"] == ["discs", "squares"] and meta["held_out_acc"] == acc
    model = explore.load_model(tiny_model(tmp_path / "m.pt", steps=10))
    mean, per = pixel_probe.accuracy(model, path, per_class=8)
    assert set(per) == {"discs", "squares"} and 0 <= mean <= 1 and mean == pytest.approx(sum(per.values()) / 2)
    assert pixel_probe.accuracy(model, (again, meta), per_class=8) == (mean, per)  # a loaded probe reads alike
    pixel_probe.save(tmp_path / "other.pt", net, ["a", "b"], acc, "other")
    with pytest.raises(ValueError, match="the probe knows a, b"):
        pixel_probe.accuracy(model, tmp_path / "other.pt")
