"""The studio in a real browser (Debian chromium via playwright): every tab opens, controls
update outputs, the Gallery shows recipes, and the page never calls outside the local server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file
from PIL import Image

from engines.outputs import OutputStore
from engines.paint.explore import bundled_models
from engines.recipe import write_png
from engines.sound import explore as sound_explore
from engines.words import explore as words_explore
from tests.conftest import ROOT
from tests.paint_helpers import shapes, write_pictures

pytestmark = pytest.mark.browser
NEEDS_PAINT = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model")
NEEDS_SOUND = pytest.mark.skipif(not sound_explore.available_models(None, "vae"), reason="no bundled Sound model")
NEEDS_GPT = pytest.mark.skipif(not words_explore.available_models(None, "gpt"), reason="no bundled Words model")
NEEDS_LINES = pytest.mark.skipif(not words_explore.available_models(None, "vae"), reason="no bundled line model")
# The README's pictures. A plain test run leaves the tree clean and writes them to the temp
# folder; ATELIER_SCREENSHOTS=1 writes them over the committed ones in assets/.
SHOTS = ROOT / "assets" if os.environ.get("ATELIER_SCREENSHOTS") == "1" else Path(tempfile.gettempdir())
SCREENSHOT = SHOTS / "screenshot.png"  # the Paint tab
GALLERY_SCREENSHOT = SHOTS / "screenshot-gallery.png"
SOUND_SCREENSHOT = SHOTS / "screenshot-sound.png"
WORDS_SCREENSHOT = SHOTS / "screenshot-words.png"


def selected(page, name: str, timeout: float = 30000) -> None:
    """Wait until the tab called `name` is the selected one."""
    tab = page.get_by_role("tab", name=name, exact=True)
    page.wait_for_function("t => t.getAttribute('aria-selected') === 'true'", arg=tab.element_handle(), timeout=timeout)


def open_tab(page, name: str) -> None:
    """Click a tab and wait until it is selected and painted (a tab mount can reset fields)."""
    page.get_by_role("tab", name=name, exact=True).click()
    selected(page, name)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def type_number(page, elem_id: str, value: float) -> None:
    """Type a value into a slider's number box and commit it."""
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def reopen_found(page, query: str, tab: str) -> None:
    """In the Gallery, find the one output matching `query` and open it in `tab`."""
    open_tab(page, "Gallery")
    page.locator("#gallery-query input, #gallery-query textarea").first.fill(query)
    page.locator("#gallery-query input, #gallery-query textarea").first.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#gallery-grid img').length === 1", timeout=20000)
    page.locator("#gallery-grid img").first.click()
    page.locator(f"#gallery-open-{tab.lower()}").click()
    selected(page, tab, timeout=20000)


@pytest.fixture
def studio_page(page, studio):
    """The studio page, with every request the page makes recorded."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(studio.url)
    page.get_by_role("tab", name="Gallery", exact=True).wait_for()
    page.requests = requests  # type: ignore[attr-defined]
    yield page
    external = [u for u in requests if not u.startswith((studio.url, "data:", "blob:"))]
    assert external == [], f"the page called outside the local server: {external[:5]}"


def _samples(store: OutputStore) -> None:
    rng = np.random.default_rng(3)
    for i in range(3):
        hue = rng.integers(60, 230, 3)
        img = np.clip(np.indices((96, 96)).sum(0)[..., None] * 0.8 + hue, 0, 255).astype(np.uint8)
        store.save_image(Image.fromarray(img), {"engine": "paint", "seed": int(10 + i)}, title=f"Study {i + 1}")
    t = np.linspace(0, 1.0, 16000)
    store.save_sound(
        16000,
        (0.4 * np.sin(2 * np.pi * 330 * t) * np.exp(-3 * t)).astype(np.float32),
        {"engine": "sound", "pitch": 64},
        title="A bell",
    )
    store.save_text(
        "When to the sessions of sweet silent thought\nI summon up remembrance of things past",
        {"engine": "words", "prompt": "When to"},
        title="Sonnet 30",
    )


def test_every_tab_opens(studio_page):
    tabs = [t.inner_text().strip() for t in studio_page.get_by_role("tab").all()]
    assert "Gallery" in tabs
    for name in tabs:
        open_tab(studio_page, name)


def test_gallery_lists_shows_recipe_and_deletes(studio_page, studio):
    store = OutputStore(studio.home / "outputs")
    _samples(store)
    page = studio_page
    open_tab(page, "Gallery")
    page.locator("#gallery-refresh").click()
    thumbs = page.locator("#gallery-grid img")
    page.wait_for_function("() => document.querySelectorAll('#gallery-grid img').length >= 5")
    # filter to sounds: the bell is there, the pictures and the sonnet are not
    sounds = sum(o.kind == "sound" for o in store.list())
    page.locator("#gallery-kind").get_by_text("Sounds", exact=True).click()
    page.wait_for_function(f"() => document.querySelectorAll('#gallery-grid img').length === {sounds}")
    assert "A bell" in page.locator("#gallery-grid").inner_text()
    page.locator("#gallery-kind").get_by_text("All", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#gallery-grid img').length >= 5")
    # open the newest (the sonnet) and read its recipe
    thumbs.first.click()
    page.locator("#gallery-title").get_by_text("Sonnet 30").wait_for()
    page.locator("#gallery-detail").get_by_text("Recipe", exact=True).click()
    assert "When to" in page.locator("#gallery-recipe").inner_text()
    page.screenshot(path=str(GALLERY_SCREENSHOT), full_page=False)
    # delete asks first, then removes it
    before = len(store.list())
    page.locator("#gallery-delete").click()
    page.locator("#gallery-delete-yes").click()
    page.wait_for_function(f"() => document.querySelectorAll('#gallery-grid img').length === {before - 1}")
    assert len(store.list()) == before - 1 and all(o.title != "Sonnet 30" for o in store.list())


def _what_made(page, path: Path) -> None:
    """Drop a file into the Gallery's 'What made this?'."""
    open_tab(page, "Gallery")
    page.locator("#whatmade").get_by_text("What made this?").click()
    page.locator("#whatmade-file input[type=file]").set_input_files(str(path))


def test_what_made_this_reads_an_uploaded_png(studio_page, tmp_path):
    page = studio_page
    recipe = {"engine": "paint", "seed": 4242, "model": "emoji"}
    _what_made(page, write_png(tmp_path / "made.png", Image.new("RGB", (40, 40), (120, 80, 200)), recipe))
    page.locator("#whatmade-summary").get_by_text("Paint").wait_for(timeout=20000)
    assert "4242" in page.locator("#whatmade-summary").inner_text()
    assert "4242" in page.locator("#whatmade-recipe").inner_text()


def test_what_made_this_explains_a_plain_picture(studio_page, tmp_path):
    page = studio_page
    Image.new("RGB", (40, 40)).save(tmp_path / "plain.png")
    _what_made(page, tmp_path / "plain.png")
    page.get_by_text("carries no Atelier recipe").first.wait_for(timeout=20000)


# ---------------------------------------------------------------- Paint
def _paint_ready(page):
    open_tab(page, "Paint")
    img = page.locator("#paint-image img")
    img.wait_for(timeout=60000)
    return img


@NEEDS_PAINT
def test_paint_direction_slider_changes_the_picture(studio_page):
    page = studio_page
    img = _paint_ready(page)
    page.wait_for_function(
        "() => document.querySelector('#paint-dir-0 label, #paint-dir-0 span')"
        " && document.querySelector('#paint-dir-0').innerText.includes('↔')",
        timeout=30000,
    )
    before = img.get_attribute("src")
    slider = page.locator("#paint-dir-0 input[type=range]")
    slider.focus()
    for _ in range(6):  # 0.3 along the first direction: a new picture that still reads as the face
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "b => { const i = document.querySelector('#paint-image img'); return i && i.src !== b; }",
        arg=before,
        timeout=20000,
    )
    # keep it: a download with its recipe appears
    page.locator("#paint-keep").click()
    page.locator("#paint-kept a, #paint-kept .file-name, #paint-kept table").first.wait_for(timeout=20000)
    page.locator("#paint-vary").click()
    page.wait_for_function("() => document.querySelectorAll('#paint-variations img').length === 9", timeout=20000)
    page.screenshot(path=str(SCREENSHOT), full_page=False)


@NEEDS_PAINT
def test_paint_trains_from_uploaded_pictures_and_previews(studio_page, studio, tmp_path):
    page = studio_page
    _paint_ready(page)
    folder = write_pictures(tmp_path / "pics", shapes(16), by_class=False)
    page.locator("#paint-train-panel").get_by_text("Train on my own pictures").click()
    page.locator("#paint-train-files input[type=file]").set_input_files([str(p) for p in sorted(folder.glob("*.png"))])
    page.wait_for_function(
        "() => document.querySelectorAll('#paint-train-files .file-name, #paint-train-files tr').length >= 16",
        timeout=30000,
    )
    page.locator("#paint-train-name textarea, #paint-train-name input").first.fill("browser-test")
    page.locator("#paint-train-start").get_by_text("from scratch").click()
    page.locator("#paint-train-res").get_by_text("32", exact=True).click()
    type_number(page, "paint-train-steps", 50)
    page.locator("#paint-train-start-btn").click()
    page.locator("#paint-train-status").get_by_text("Done").wait_for(timeout=240000)
    assert page.locator("#paint-train-preview img").count() == 1
    # the loss plot's legend names both curves, inside the plot's block (not cut off below it)
    legend = page.locator("#paint-train-plot .role-legend")
    assert "painter (G)" in legend.text_content() and "critic (D)" in legend.text_content()
    box, block = legend.bounding_box(), page.locator("#paint-train-plot").bounding_box()
    assert box["y"] + box["height"] <= block["y"] + block["height"]
    assert (studio.home / "models" / "paint" / "browser-test.pt").is_file()
    page.locator("#paint-model input").click()
    page.get_by_role("option", name="browser-test (yours)").wait_for(timeout=10000)


# ---------------------------------------------------------------- Stylize
def _result_srcs(page) -> list[str]:
    return page.eval_on_selector_all("#stylize-result img", "els => els.map(e => e.src)")


def test_stylize_strength_slider_changes_the_output(studio_page):
    page = studio_page
    open_tab(page, "Stylize")
    # the sample picture and style are preset: opening the tab paints them
    page.wait_for_function("() => document.querySelectorAll('#stylize-result img').length >= 2", timeout=60000)
    before = _result_srcs(page)
    slider = page.locator("#stylize-strength input[type=range]")
    slider.focus()
    for _ in range(40):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "b => { const s = [...document.querySelectorAll('#stylize-result img')].map(e => e.src);"
        " return s.length >= 2 && s[s.length - 1] !== b[b.length - 1]; }",
        arg=before,
        timeout=30000,
    )


def test_stylize_gatys_starts_streams_and_stops(studio_page):
    page = studio_page
    open_tab(page, "Stylize")
    page.locator("#stylize-gatys-panel").get_by_text("Paint it slowly (Gatys)").click()
    type_number(page, "stylize-gatys-steps", 1000)
    type_number(page, "stylize-gatys-size", 128)
    page.locator("#stylize-gatys-start").click()
    page.locator("#stylize-gatys-preview img").wait_for(timeout=60000)
    page.locator("#stylize-gatys-status").get_by_text("step").wait_for(timeout=60000)
    page.locator("#stylize-gatys-stop").click()
    page.locator("#stylize-gatys-status").get_by_text("Stopped").wait_for(timeout=60000)
    assert page.locator("#stylize-gatys-preview img").count() == 1


@NEEDS_PAINT
def test_gallery_reopens_a_paint_picture_with_its_settings(studio_page, studio):
    Client(studio.url, verbose=False).predict(
        "emoji (bundled)", "food & drink", "(none)", 0.5, 777, 0.6, *([0.0] * 10), 1, api_name="/paint_keep"
    )
    page = studio_page
    open_tab(page, "Gallery")
    page.locator("#gallery-refresh").click()
    page.locator("#gallery-kind").get_by_text("Images", exact=True).click()
    page.locator("#gallery-grid img").first.wait_for()
    page.wait_for_timeout(500)
    page.locator("#gallery-grid img").first.click()
    page.locator("#gallery-title").get_by_text("seed 777").first.wait_for(timeout=20000)
    page.locator("#gallery-open-paint").click()
    selected(page, "Paint", timeout=20000)
    page.wait_for_function("() => document.querySelector('#paint-seed input').value === '777'", timeout=20000)
    assert "food & drink" in page.locator("#paint-class input").input_value()


def test_gallery_reopens_a_stylized_picture_with_its_settings(studio_page, studio):
    samples = ROOT / "assets" / "samples"
    pictures = [handle_file(str(samples / "content" / "coffee.jpg")), handle_file(str(samples / "styles" / "ink.jpg"))]
    controls = [None, None, None, 0.9, 0.5, 0.5, 0.5, 0.35, True, 256]  # styles 2-4, weights, strength, colours, size
    Client(studio.url, verbose=False).predict(*pictures, *controls, api_name="/stylize_keep")
    page = studio_page
    reopen_found(page, "ink.jpg", "Stylize")
    page.wait_for_function(
        "() => document.querySelector('#stylize-strength input[type=number]').value === '0.35'", timeout=20000
    )
    assert page.locator("#stylize-keep-color input").is_checked()


# ---------------------------------------------------------------- Sound
def _sound_ready(page):
    open_tab(page, "Sound")
    page.wait_for_function(f"() => {AUDIO_SRC}('sound-audio')", timeout=60000)


# the served WAV: gradio's audio player links it for download (its <audio> may hold a blob copy)
AUDIO_SRC = (
    "(id => [...document.querySelectorAll('#' + id + ' a[download]')].map(a => a.href).filter(Boolean).join('|'))"
)


def _audio_src(page, elem: str) -> str:
    return page.evaluate(f"() => {AUDIO_SRC}('{elem}')")


@NEEDS_SOUND
def test_sound_timbre_slider_serves_a_new_note(studio_page):
    page = studio_page
    _sound_ready(page)
    before = _audio_src(page, "sound-audio")
    slider = page.locator("#sound-dir-0 input[type=range]")
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"b => {{ const s = {AUDIO_SRC}('sound-audio'); return s && s !== b; }}", arg=before, timeout=30000
    )
    src = _audio_src(page, "sound-audio").split("|")[0]
    data = page.evaluate("u => fetch(u).then(r => r.arrayBuffer()).then(b => [...new Uint8Array(b.slice(0, 12))])", src)
    assert bytes(data[:4]) == b"RIFF" and bytes(data[8:12]) == b"WAVE"
    page.locator("#sound-keep").click()
    page.locator("#sound-kept a, #sound-kept .file-name, #sound-kept table").first.wait_for(timeout=20000)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SOUND_SCREENSHOT), full_page=False)


@NEEDS_SOUND
def test_sound_encodes_an_uploaded_wav(studio_page, tmp_path):
    page = studio_page
    _sound_ready(page)
    t = np.arange(24000) / 16000
    tone = sum(0.3 / k * np.sin(2 * np.pi * 392.0 * k * t) for k in range(1, 6)) * np.exp(-2 * t)
    sf.write(tmp_path / "g4.wav", tone, 16000)
    before = _audio_src(page, "sound-audio")
    page.locator("#sound-encode-panel").get_by_text("Encode my sound").click()
    page.locator("#sound-encode-file input[type=file]").set_input_files(str(tmp_path / "g4.wav"))
    page.locator("#sound-encode-note").get_by_text("Encoded").wait_for(timeout=60000)
    assert "G4" in page.locator("#sound-encode-note").inner_text()
    page.wait_for_function(
        f"b => {{ const s = {AUDIO_SRC}('sound-audio'); return s && s !== b; }}", arg=before, timeout=30000
    )
    assert page.locator("#sound-pitch input[type=number]").input_value() == "67"


# ---------------------------------------------------------------- Words
@NEEDS_GPT
def test_words_prompt_streams_text_in(studio_page):
    page = studio_page
    open_tab(page, "Words")
    prompt = page.locator("#words-prompt textarea")
    prompt.fill("JULIET:\n")
    type_number(page, "words-length", 1200)
    page.locator("#words-write").click()
    out = "#words-output textarea"
    # part-way: the prompt and some text, but not all of it yet (it streams)
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('{out}').value;"
        " return v.startsWith('JULIET:') && v.length > 40 && v.length < 1200; }",
        timeout=60000,
    )
    page.wait_for_function(
        f"() => document.querySelector('{out}').value.length === 'JULIET:\\n'.length + 1200", timeout=120000
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(WORDS_SCREENSHOT), full_page=False)


@NEEDS_LINES
def test_words_morphs_two_lines(studio_page):
    page = studio_page
    open_tab(page, "Words")
    page.locator("#words-morph-panel").get_by_text("Morph between two lines").click()
    page.locator("#words-line-a textarea, #words-line-a input").first.fill("My mistress' eyes are nothing like the sun")
    page.locator("#words-line-b textarea, #words-line-b input").first.fill("Now is the winter of our discontent")
    page.locator("#words-morph-btn").click()
    page.wait_for_function(
        "() => document.querySelector('#words-poem textarea').value.split('\\n').length === 8", timeout=60000
    )


@NEEDS_SOUND
def test_gallery_reopens_a_sound_with_its_settings(studio_page, studio):
    sliders = [0.0] * (sound_explore.N_SLIDERS - 1)
    Client(studio.url, verbose=False).predict(
        "notes (bundled)", "Cello", 53, 90, 1.25, None, 1.5, *sliders, api_name="/sound_keep"
    )
    page = studio_page
    reopen_found(page, "Cello", "Sound")
    page.wait_for_function(
        "() => document.querySelector('#sound-pitch input[type=number]').value === '53'", timeout=20000
    )
    assert page.locator("#sound-dir-0 input[type=number]").input_value() == "1.5"
    assert "Cello" in page.locator("#sound-preset input").input_value()
