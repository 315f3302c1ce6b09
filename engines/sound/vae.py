"""A pitch-conditioned convolutional VAE over log-mel pictures of single notes.

References:
1) Kingma & Welling 2013, auto-encoding variational Bayes: https://arxiv.org/abs/1312.6114
2) Engel et al. 2017, NSynth: https://arxiv.org/abs/1704.01279 (notes as pitch + timbre)
3) Perez et al. 2017, FiLM: https://arxiv.org/abs/1709.07871 (scale-and-shift conditioning)

Pitch goes into the encoder (as an input plane and an embedding) and into every decoder block
(as FiLM scale and shift), so the latent is free to carry what pitch does not: timbre.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class NoteVAEConfig:
    n_mels: int = 80
    frames: int = 64
    latent: int = 16
    width: int = 32          # channels of the first encoder block (doubling per block)
    pitch_embed: int = 16
    log_mean: float = -5.0   # log-mel normalisation: (x - mean) / scale
    log_scale: float = 4.0

    def to_dict(self) -> dict:
        return asdict(self)


class FiLMBlock(nn.Module):
    """Transposed conv (x2 size), BatchNorm, pitch scale-and-shift, LeakyReLU."""

    def __init__(self, c_in: int, c_out: int, cond: int) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
        self.norm = nn.BatchNorm2d(c_out, affine=False)
        self.film = nn.Linear(cond, 2 * c_out)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        return F.leaky_relu(self.norm(self.conv(x)) * (1 + scale) + shift, 0.2)


class NoteVAE(nn.Module):
    def __init__(self, cfg: NoteVAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        self.pitch = nn.Embedding(128, cfg.pitch_embed)
        # encoder: (log-mel, pitch plane) -> 4 stride-2 convolutions
        chans = [2, w, 2 * w, 4 * w, 8 * w]
        self.encoder = nn.Sequential(*[
            nn.Sequential(nn.Conv2d(a, b, 4, 2, 1), nn.BatchNorm2d(b), nn.LeakyReLU(0.2))
            for a, b in zip(chans[:-1], chans[1:])])
        self.grid = (cfg.n_mels // 16, cfg.frames // 16)
        flat = 8 * w * self.grid[0] * self.grid[1]
        self.to_stats = nn.Linear(flat + cfg.pitch_embed, 2 * cfg.latent)
        # decoder: (z, pitch) -> grid -> 4 FiLM blocks -> log-mel
        self.from_z = nn.Linear(cfg.latent + cfg.pitch_embed, flat)
        self.blocks = nn.ModuleList(FiLMBlock(a, b, cfg.pitch_embed) for a, b in
                                    zip([8 * w, 4 * w, 2 * w], [4 * w, 2 * w, w]))
        self.head = nn.ConvTranspose2d(w, 1, 4, 2, 1)

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.cfg.log_mean) / self.cfg.log_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cfg.log_scale + self.cfg.log_mean

    def encode(self, log_mel: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log_mel (B, n_mels, frames), pitch (B,) MIDI -> (mu, logvar) each (B, latent)."""
        x = self.normalise(log_mel)[:, None]
        plane = (pitch.float() / 127.0)[:, None, None, None].expand_as(x)
        h = self.encoder(torch.cat([x, plane], dim=1)).flatten(1)
        mu, logvar = self.to_stats(torch.cat([h, self.pitch(pitch)], dim=1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, z: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """(B, latent), (B,) -> log-mel (B, n_mels, frames)."""
        cond = self.pitch(pitch)
        h = self.from_z(torch.cat([z, cond], dim=1)).view(-1, 8 * self.cfg.width, *self.grid)
        for block in self.blocks:
            h = block(h, cond)
        return self.denormalise(self.head(h)[:, 0])

    def forward(self, log_mel: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (reconstruction, L1 loss in normalised units, KL per note)."""
        mu, logvar = self.encode(log_mel, pitch)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = self.decode(z, pitch)
        l1 = (self.normalise(recon) - self.normalise(log_mel)).abs().mean()
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
        return recon, l1, kl
