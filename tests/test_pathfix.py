"""gradio's "is this file inside that folder?" check, with the folders' resolution remembered."""

from __future__ import annotations

import os

import pytest
from gradio import processing_utils, utils

from studio import pathfix


def test_inside_equal_and_outside_answer_as_before(tmp_path):
    folder = tmp_path / "allowed"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.jpg").write_bytes(b"x")
    (tmp_path / "allowed2").mkdir()
    for inner, outer in [
        (folder / "sub" / "a.jpg", folder),
        (folder, folder),
        (tmp_path / "allowed2" / "b.jpg", folder),  # a sibling sharing the folder's name as a prefix
        (folder / ".." / "allowed2", folder),
        (tmp_path, folder),
    ]:
        assert pathfix.is_in_or_equal(inner, outer) == pathfix._ORIGINAL(inner, outer), (inner, outer)
    assert pathfix.is_in_or_equal(str(folder / "sub" / "a.jpg"), str(folder))
    assert not pathfix.is_in_or_equal(tmp_path / "allowed2" / "b.jpg", folder)


def test_a_link_inside_the_folder_to_a_file_outside_is_still_outside(tmp_path):
    folder, secret = tmp_path / "allowed", tmp_path / "secret.txt"
    folder.mkdir()
    secret.write_text("not yours")
    os.symlink(secret, folder / "link.txt")
    pathfix.is_in_or_equal(folder / "x", folder)  # the folder's resolution is now remembered
    assert not pathfix.is_in_or_equal(folder / "link.txt", folder)


def test_install_reaches_every_module_that_imported_the_check():
    pathfix.install()
    assert utils.is_in_or_equal is pathfix.is_in_or_equal
    assert processing_utils.is_in_or_equal is pathfix.is_in_or_equal


@pytest.mark.parametrize("shared", [False, True])
def test_what_ships_with_atelier_is_served_wherever_the_studio_starts(tmp_path, monkeypatch, shared):
    """Sample styles and bundled models are served from any working folder (a sample style clicked
    in Stylize once failed when the studio was started elsewhere); other folders stay closed."""
    from engines.settings import Settings, assets_dir
    from studio import app, common

    before = common._STUDIO
    monkeypatch.chdir(tmp_path)  # started from somewhere else than the project
    try:
        home = tmp_path / "home"
        settings = Settings(models_dir=home / "m", outputs_dir=home / "o", workspaces_dir=home / "w")
        common.configure(settings, shared=shared)
        allowed = app.launch_kwargs(common.studio().settings)["allowed_paths"]
    finally:
        common._STUDIO = before
    style = next((assets_dir() / "samples" / "styles").glob("*.jpg"))
    outside = tmp_path / "elsewhere" / "secret.txt"
    assert utils.is_allowed_file(style, [], allowed, [])[0]
    assert not utils.is_allowed_file(outside, [], allowed, [])[0]
