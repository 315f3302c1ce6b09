"""A pitch- and velocity-conditioned VAE over log-mel pictures of whole notes.

References:
1) Kingma & Welling 2013, auto-encoding variational Bayes: https://arxiv.org/abs/1312.6114
2) Engel et al. 2017, NSynth: https://arxiv.org/abs/1704.01279 (notes as pitch + timbre)
3) Perez et al. 2017, FiLM: https://arxiv.org/abs/1709.07871 (scale-and-shift conditioning)

The mel bins are the channels and time is the convolved axis (1-D convolutions), which keeps the
decoder small enough for live sliders on a CPU. Pitch and velocity go into the encoder and into
every decoder block (FiLM), so the latent is free to carry what they do not: timbre.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class NoteVAEConfig:
    n_mels: int = 128
    frames: int = 128
    latent: int = 16
    width: int = 256  # channels of the innermost blocks
    cond: int = 64  # size of the pitch/velocity conditioning vector
    log_mean: float = -6.0  # log-mel normalisation: (x - mean) / scale
    log_scale: float = 4.0

    def to_dict(self) -> dict:
        return asdict(self)


class Conditioning(nn.Module):
    """(pitch, velocity) -> a vector. Fractional pitches blend neighbouring embeddings, so glides work."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.pitch = nn.Embedding(128, size)
        self.mlp = nn.Sequential(nn.Linear(size + 1, size), nn.SiLU(), nn.Linear(size, size))

    def forward(self, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        pitch = pitch.float().clamp(0, 127)
        lo = pitch.floor().long().clamp(max=126)
        frac = (pitch - lo.float())[:, None]
        emb = (1 - frac) * self.pitch(lo) + frac * self.pitch(lo + 1)
        return self.mlp(torch.cat([emb, velocity.float()[:, None] / 127.0], dim=1))


class UpBlock(nn.Module):
    """Nearest x2 in time, convolution, GroupNorm, FiLM from the conditioning, SiLU."""

    def __init__(self, c_in: int, c_out: int, cond: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 5, padding=2)
        self.norm = nn.GroupNorm(8, c_out, affine=False)
        self.film = nn.Linear(cond, 2 * c_out)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(F.interpolate(x, scale_factor=2, mode="nearest")))
        scale, shift = self.film(cond)[:, :, None].chunk(2, dim=1)
        return F.silu(x * (1 + scale) + shift)


class NoteVAE(nn.Module):
    def __init__(self, cfg: NoteVAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        self.condition = Conditioning(cfg.cond)
        enc = [cfg.n_mels + cfg.cond, w, w, w, w]
        self.encoder = nn.Sequential(
            *[nn.Sequential(nn.Conv1d(a, b, 4, 2, 1), nn.GroupNorm(8, b), nn.SiLU()) for a, b in zip(enc[:-1], enc[1:])]
        )
        self.steps = cfg.frames // 16
        self.to_stats = nn.Linear(w * self.steps + cfg.cond, 2 * cfg.latent)
        self.from_z = nn.Linear(cfg.latent + cfg.cond, w * self.steps)
        dec = [w, w, w, w * 3 // 4, w // 2]
        self.blocks = nn.ModuleList(UpBlock(a, b, cfg.cond) for a, b in zip(dec[:-1], dec[1:]))
        self.head = nn.Conv1d(w // 2, cfg.n_mels, 3, padding=1)

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.cfg.log_mean) / self.cfg.log_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cfg.log_scale + self.cfg.log_mean

    def encode(
        self, log_mel: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """log_mel (B, n_mels, frames), pitch and velocity (B,) -> (mu, logvar), each (B, latent)."""
        cond = self.condition(pitch, velocity)
        x = torch.cat([self.normalise(log_mel), cond[:, :, None].expand(-1, -1, log_mel.shape[2])], dim=1)
        h = self.encoder(x).flatten(1)
        mu, logvar = self.to_stats(torch.cat([h, cond], dim=1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """(B, latent), (B,), (B,) -> log-mel (B, n_mels, frames)."""
        cond = self.condition(pitch, velocity)
        h = self.from_z(torch.cat([z, cond], dim=1)).view(z.shape[0], self.cfg.width, self.steps)
        for block in self.blocks:
            h = block(h, cond)
        return self.denormalise(self.head(h))

    def forward(
        self, log_mel: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (reconstruction, L1 loss in normalised units, KL per note)."""
        mu, logvar = self.encode(log_mel, pitch, velocity)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = self.decode(z, pitch, velocity)
        l1 = (self.normalise(recon) - self.normalise(log_mel)).abs().mean()
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
        return recon, l1, kl
