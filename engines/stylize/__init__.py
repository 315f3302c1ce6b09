"""Stylize: neural style transfer (a fast arbitrary-style network and Gatys optimisation) and
CNN dreams, over pretrained feature networks that ship with the pip install. No training.

- `__main__.py`: the CLI, `python -m engines.stylize fast|gatys|dream|grid ...` (Gatys and Dream
  options made from GatysSettings / DreamSettings with `engines.cli`);
- `fast.py`: the fast arbitrary-style network and the 26 presets (ONNX, onnxruntime);
- `gatys.py`: style transfer by optimisation (GatysSettings, a generator of GatysEvent);
- `dream.py`: CNN dreams (DreamSettings, a generator of DreamEvent);
- `features.py`: the feature networks (EfficientNet-lite0, VGG19) with named activation taps;
- `color.py`: keeping the picture's colours (luminance transfer, colour matching);
- `pictures.py`: pictures read header-first, with plain messages for what cannot be used;
- `controls.py`: every control's bounds and checks; `jobs.py`: the fast and preset jobs;
  `slow_jobs.py`: the Gatys and Dream jobs (each names its recipe, title and kept inputs);
- `inputs.py`: the pictures an output was made from, kept with it in the workspace;
- `shown.py`: the last pictures painted for the screen, reused by Keep;
- `restore.py`: recipes back to the tab's controls and jobs; `replay.py`: outputs made again;
- `sweep.py`: two controls swept over a grid of stylisations;
- `samples.py`: the procedural sample styles (`python -m engines.stylize.samples`).
"""
