"""The studio as an artist meets it in chromium: the output stays in view while sliders move, on a
desktop and on a phone, and two visitors of a shared studio each see only their own work."""

from __future__ import annotations

import pytest

from tests.conftest import Studio, assert_no_traceback

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# (tab, the slider an artist drags, the output that must stay in view while it moves)
LIVE_CONTROLS = [
    ("Paint", "#paint-dir-2", "#paint-image"),
    ("Stylize", "#stylize-strength", "#stylize-result"),
    ("Sound", "#sound-dir-2", "#sound-audio"),
]


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name="Paint", exact=True).wait_for()
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.is_visible():
        tab.click()
        page.wait_for_function("t => t.getAttribute('aria-selected') === 'true'", arg=tab.element_handle())
    else:  # on a phone the later tabs sit behind the "More tabs" menu, as plain buttons
        page.get_by_label("More tabs").click()
        page.locator("[class*=overflow] button", has_text=name).first.click()
        page.wait_for_function(
            "n => [...document.querySelectorAll('[role=tabpanel]')].some(p => "
            "p.offsetParent !== null && p.id.includes(n.toLowerCase()))",
            arg=name,
        )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def in_view(page, selector: str) -> tuple[bool, dict]:
    """Whether the element's box lies inside the viewport (a pixel of slack)."""
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    ok = box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 0.9 * height) <= height + 1
    return ok, box


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("tab, slider, output", LIVE_CONTROLS)
def test_the_output_stays_in_view_while_a_slider_moves(browser, studio, viewport, tab, slider, output):
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    try:
        page.goto(studio.url)
        open_tab(page, tab)
        page.locator(output).first.wait_for(timeout=60000)
        control = page.locator(f"{slider} input[type=range]").first
        control.scroll_into_view_if_needed()
        control.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        ok, box = in_view(page, output)
        assert ok, f"{tab} at {viewport}: the output box {box} left the screen while {slider} moved"
        assert page.locator(slider).first.bounding_box()["y"] < VIEWPORTS[viewport]["height"]
    finally:
        page.close()


@pytest.fixture(scope="module")
def shared_studio(tmp_path_factory):
    server = Studio(tmp_path_factory.mktemp("shared-browser"), ["--multi-user"])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def gallery_titles(page) -> list[str]:
    open_tab(page, "Gallery")
    page.locator("#gallery-refresh").click()
    page.wait_for_timeout(1500)
    return [c.inner_text() for c in page.locator("#gallery-grid .caption-label, #gallery-grid figcaption").all()]


def test_two_visitors_keep_their_own_gallery_across_reloads(browser, shared_studio):
    alice, bob = browser.new_context(viewport=VIEWPORTS["desktop"]), browser.new_context(viewport=VIEWPORTS["phone"])
    try:
        a, b = alice.new_page(), bob.new_page()
        for page in (a, b):
            page.goto(shared_studio.url)
            page.get_by_role("tab", name="Paint", exact=True).wait_for()
        open_tab(a, "Paint")
        a.locator("#paint-image img").wait_for(timeout=60000)
        a.locator("#paint-keep").click()
        a.locator("#paint-kept a, #paint-kept .file-name, #paint-kept td").first.wait_for(timeout=30000)
        key_a = a.evaluate("() => window.atelierWorkspace")
        key_b = b.evaluate("() => window.atelierWorkspace")
        assert key_a and key_b and key_a != key_b
        a.wait_for_function("() => true")
        assert gallery_titles(a), "Alice's gallery should show her picture"
        assert gallery_titles(b) == [], "Bob must not see Alice's picture"
        a.reload()
        a.get_by_role("tab", name="Gallery", exact=True).wait_for()
        assert a.evaluate("() => window.atelierWorkspace") == key_a  # the key survives a reload
        assert gallery_titles(a), "after a reload Alice still sees her picture"
        a.locator("#gallery-workspace").get_by_text("Your workspace").first.click()
        note = a.locator("#gallery-workspace-note").inner_text()
        assert key_a in note and "MB" in note
    finally:
        alice.close()
        bob.close()
    assert_no_traceback(shared_studio)


def test_a_hummed_recording_continues_as_a_melody_with_a_piano_roll(browser, studio, tmp_path):
    """Hum-to-melody as an artist does it: upload a recording, press Continue, see and hear the result."""
    import numpy as np
    import soundfile as sf

    sr, beat = 16000, 0.5
    tune = [62, 64, 66, 67, 69, 67, 66, 64]  # a hummed D-major phrase, one note a beat
    t = np.arange(int(sr * beat)) / sr
    hum = np.concatenate(
        [
            0.4 * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * t) * np.minimum(1, 20 * t) * np.exp(-1.5 * t)
            for p in tune
        ]
    ).astype(np.float32)
    path = tmp_path / "hum.wav"
    sf.write(path, hum, sr)
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    try:
        page.goto(studio.url)
        open_tab(page, "Sound")
        panel = page.locator("#sound-melody-panel")
        panel.get_by_text("my recording", exact=True).click()
        page.locator("#sound-melody-recording input[type=file]").set_input_files(str(path))
        page.wait_for_timeout(1500)
        page.locator("#sound-melody-btn").click()
        page.locator("#sound-melody-roll img").wait_for(timeout=120000)
        link = page.locator("#sound-melody-audio a[download]").first
        link.wait_for(state="attached", timeout=30000)  # the player holds the melody: fetch what it plays
        import io

        played, rate = sf.read(io.BytesIO(page.request.get(link.get_attribute("href")).body()), dtype="float32")
        windows = np.abs(played[: len(played) // 1600 * 1600]).reshape(-1, 1600).max(axis=1)
        assert len(played) / rate > 4.0 and (windows > windows.max() * 10 ** (-30 / 20)).mean() > 0.8
        page.screenshot(path=str(tmp_path / "melody.png"))
        assert page.locator("#sound-melody-roll img").get_attribute("src")
        note = page.locator("#sound-melody-note").inner_text()
        assert "note" in note.lower() and "error" not in note.lower()
    finally:
        page.close()
