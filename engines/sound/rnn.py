"""A GRU that continues a sound one log-mel frame at a time.

Each step predicts a Laplace distribution (centre and scale per mel bin) for the next frame;
sampling draws from it with a temperature (0 = the centre, a smooth continuation). Training
adds noise to the input frames so the network copes with its own imperfect output when it runs
free (a cheap guard against exposure bias).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn


@dataclass(frozen=True)
class FrameRNNConfig:
    n_mels: int = 128
    hidden: int = 384
    layers: int = 2
    input_noise: float = 0.15   # in normalised units, training only
    log_mean: float = -6.0
    log_scale: float = 4.0

    def to_dict(self) -> dict:
        return asdict(self)


class FrameRNN(nn.Module):
    def __init__(self, cfg: FrameRNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Sequential(nn.Linear(cfg.n_mels, cfg.hidden), nn.SiLU())
        self.gru = nn.GRU(cfg.hidden, cfg.hidden, cfg.layers, batch_first=True)
        self.out = nn.Linear(cfg.hidden, 2 * cfg.n_mels)

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.cfg.log_mean) / self.cfg.log_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cfg.log_scale + self.cfg.log_mean

    def step(self, frames: torch.Tensor, h: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Normalised frames (B, T, n_mels) -> next-frame centre and log-scale (B, T, n_mels), hidden state."""
        y, h = self.gru(self.inp(frames), h)
        centre, log_b = self.out(y).chunk(2, dim=-1)
        return centre, log_b.clamp(-7, 2), h

    def loss(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Laplace negative log-likelihood per mel value of each next frame; log_mel (B, n_mels, T)."""
        x = self.normalise(log_mel).transpose(1, 2)
        inputs, targets = x[:, :-1], x[:, 1:]
        if self.training and self.cfg.input_noise > 0:
            inputs = inputs + self.cfg.input_noise * torch.randn_like(inputs)
        centre, log_b, _ = self.step(inputs)
        return ((targets - centre).abs() * torch.exp(-log_b) + log_b).mean()

    @torch.no_grad()
    def continue_frames(self, primer: torch.Tensor, frames: int, temperature: float = 0.5,
                        generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
        """Yield `frames` new log-mel frames (n_mels,) after the primer log-mel (n_mels, T)."""
        self.eval()
        x = self.normalise(primer).T[None]
        centre, log_b, h = self.step(x)
        for _ in range(frames):
            nxt = centre[:, -1]
            if temperature > 0:
                u = torch.rand(nxt.shape, generator=generator).to(nxt.device) - 0.5
                laplace = -torch.sign(u) * torch.log1p(-2 * u.abs()).clamp(min=-20)  # unit Laplace draw
                nxt = nxt + temperature * log_b[:, -1].exp() * laplace
            yield self.denormalise(nxt[0])
            centre, log_b, h = self.step(nxt[:, None], h)
