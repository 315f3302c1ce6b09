"""Stylize's command line: Gatys and Dream options are made from GatysSettings and DreamSettings (a
flag per field, the dataclass's default), and each command writes a PNG carrying its recipe."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engines import cli, recipe
from engines.stylize.__main__ import main, parser
from engines.stylize.dream import DreamSettings
from engines.stylize.gatys import GatysSettings

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
CONTENT = str(SAMPLES / "content" / "chelsea.jpg")
STYLE = str(SAMPLES / "styles" / "mosaic.jpg")


def _parsed(*argv: str):
    return parser().parse_args(list(argv))


def test_gatys_and_dream_take_every_setting_with_its_default():
    gatys = _parsed("gatys", "--content", CONTENT, "--style", STYLE, "--out", "x.png")
    assert cli.from_args(GatysSettings, gatys) == GatysSettings()
    dream = _parsed("dream", "--out", "x.png")
    assert cli.from_args(DreamSettings, dream) == DreamSettings()
    for f in dataclasses.fields(GatysSettings):
        assert hasattr(gatys, f.name) == (f.name != "naive"), f.name  # the benchmark switch stays off the CLI
    assert all(hasattr(dream, f.name) for f in dataclasses.fields(DreamSettings))
    changed = _parsed(
        "gatys", "--content", CONTENT, "--style", STYLE, "--out", "x.png", "--steps", "40", "--tv-weight", "0.5"
    )
    settings = cli.from_args(GatysSettings, changed, size=64)
    assert (settings.steps, settings.tv_weight, settings.size, settings.multiscale) == (40, 0.5, 64, True)
    no_multiscale = _parsed("gatys", "--content", CONTENT, "--style", STYLE, "--out", "x.png", "--no-multiscale")
    assert cli.from_args(GatysSettings, no_multiscale).multiscale is False
    with pytest.raises(SystemExit):
        _parsed("dream", "--out", "x.png", "--octaves", "three")


def test_each_command_writes_a_picture_with_its_recipe(tmp_path, capsys):
    pictures = ["--content", CONTENT, "--style", STYLE]
    main(["fast", *pictures, "--size", "128", "--strength", "0.6", "--out", str(tmp_path / "f.png")])
    fast = recipe.read(tmp_path / "f.png")
    assert (fast["method"], fast["strength"], fast["styles"], fast["size"]) == ("fast", 0.6, ["mosaic.jpg"], 128)
    tiny = ["--size", "64", "--device", "cpu"]
    main(["gatys", *pictures, *tiny, "--steps", "20", "--tv-weight", "0.5", "--out", str(tmp_path / "g.png")])
    gatys = recipe.read(tmp_path / "g.png")
    assert (gatys["method"], gatys["steps_asked"], gatys["tv_weight"]) == ("gatys", 20, 0.5)
    assert gatys["content"] == "chelsea.jpg" and gatys["styles"] == ["mosaic.jpg"]
    dream_args = ["--target", "layer:b3", "--octaves", "1", "--steps", "2", "--jitter", "4"]
    main(["dream", *dream_args, *tiny, "--out", str(tmp_path / "d.png")])
    dream = recipe.read(tmp_path / "d.png")
    assert (dream["start"], dream["target"], dream["jitter"], dream["size"]) == ("noise", "layer:b3", 4, 64)
    assert str(tmp_path / "d.png") in capsys.readouterr().out
