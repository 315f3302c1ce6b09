"""Colour tools for style transfer: keep the content's colours (luminance-only transfer) or
recolour a style to the content's palette before transfer (Gatys et al. 2016,
https://arxiv.org/abs/1606.05897, 'Preserving color in neural artistic style transfer')."""

from __future__ import annotations

import numpy as np
from PIL import Image

# ITU-R BT.601 (what JPEG and PIL's YCbCr use)
_RGB2YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_YCC2RGB = np.linalg.inv(_RGB2YCC)


def to_array(image: Image.Image) -> np.ndarray:
    """RGB picture -> float array (H, W, 3) in [0, 1]."""
    return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0


def to_image(array: np.ndarray) -> Image.Image:
    """Float array (H, W, 3) in [0, 1] -> RGB picture."""
    return Image.fromarray((np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8))


def rgb_to_ycc(rgb: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] -> YCbCr (BT.601) with the chroma centred on 0.5."""
    ycc = rgb @ _RGB2YCC.T
    ycc[..., 1:] += 0.5
    return ycc


def ycc_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """YCbCr (chroma centred on 0.5) -> RGB, the inverse of rgb_to_ycc."""
    ycc = ycc.copy()
    ycc[..., 1:] -= 0.5
    return ycc @ _YCC2RGB.T


def keep_luminance_only(stylized: Image.Image, content: Image.Image) -> Image.Image:
    """The stylised picture's brightness with the content's colour (chroma)."""
    content = content.convert("RGB").resize(stylized.size, Image.Resampling.LANCZOS)
    s, c = rgb_to_ycc(to_array(stylized)), rgb_to_ycc(to_array(content))
    s[..., 1:] = c[..., 1:]
    return to_image(ycc_to_rgb(s))


def match_colors(source: Image.Image, target: Image.Image) -> Image.Image:
    """Recolour `source` so its RGB mean and covariance equal `target`'s (a linear map through
    the two covariances' symmetric square roots): the style's strokes in the content's palette."""
    src, tgt = to_array(source).reshape(-1, 3), to_array(target).reshape(-1, 3)
    mu_s, mu_t = src.mean(0), tgt.mean(0)
    cov_s = np.cov(src, rowvar=False) + np.eye(3) * 1e-5
    cov_t = np.cov(tgt, rowvar=False) + np.eye(3) * 1e-5

    def sqrtm(m: np.ndarray, inverse: bool = False) -> np.ndarray:
        vals, vecs = np.linalg.eigh(m)
        vals = np.clip(vals, 1e-8, None) ** (-0.5 if inverse else 0.5)
        return (vecs * vals) @ vecs.T

    transform = sqrtm(cov_t) @ sqrtm(cov_s, inverse=True)
    out = (src - mu_s) @ transform.T + mu_t
    return to_image(out.reshape(to_array(source).shape))


def chroma_distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of the Cb/Cr channels (0 = same colours), on a common size."""
    b = b.convert("RGB").resize(a.size, Image.Resampling.LANCZOS)
    return float(np.abs(rgb_to_ycc(to_array(a))[..., 1:] - rgb_to_ycc(to_array(b))[..., 1:]).mean())
