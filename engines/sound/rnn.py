"""A GRU that continues a sound one log-mel frame at a time.

Each step predicts a mixture of K whole-frame Laplace distributions for the next frame (a
mixture density network, Bishop 1994; Graves 2013, https://arxiv.org/abs/1308.0850): one
component can carry the note on, another a new onset, so a sampled continuation picks one
coherent frame instead of averaging them into a fade. Sampling draws a component, then adds
Laplace noise scaled by the temperature (0 = the likeliest component's centre). Training adds
noise to the input frames so the network copes with its own output when it runs free.
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
    mixtures: int = 4           # whole-frame mixture components
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
        self.out = nn.Linear(cfg.hidden, cfg.mixtures * (2 * cfg.n_mels + 1))

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.cfg.log_mean) / self.cfg.log_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cfg.log_scale + self.cfg.log_mean

    def step(self, frames: torch.Tensor, h: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Normalised frames (B, T, n_mels) -> for the next frame: component log-weights (B, T, K),
        centres and log-scales (B, T, K, n_mels); and the hidden state."""
        y, h = self.gru(self.inp(frames), h)
        k, m = self.cfg.mixtures, self.cfg.n_mels
        out = self.out(y)
        logits = out[..., :k].log_softmax(-1)
        centre, log_b = out[..., k:].unflatten(-1, (k, 2 * m)).chunk(2, dim=-1)
        return logits, centre, log_b.clamp(-7, 2), h

    def loss(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Mixture negative log-likelihood of each next frame, per mel value; log_mel (B, n_mels, T)."""
        x = self.normalise(log_mel).transpose(1, 2)
        inputs, targets = x[:, :-1], x[:, 1:]
        if self.training and self.cfg.input_noise > 0:
            inputs = inputs + self.cfg.input_noise * torch.randn_like(inputs)
        logits, centre, log_b, _ = self.step(inputs)
        per_component = -((targets[:, :, None] - centre).abs() * torch.exp(-log_b) + log_b).sum(-1)
        return -(torch.logsumexp(logits + per_component, dim=-1)).mean() / self.cfg.n_mels

    @torch.no_grad()
    def continue_frames(self, primer: torch.Tensor, frames: int, temperature: float = 0.5,
                        generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
        """Yield `frames` new log-mel frames (n_mels,) after the primer log-mel (n_mels, T)."""
        self.eval()
        x = self.normalise(primer).T[None]
        logits, centre, log_b, h = self.step(x)
        for _ in range(frames):
            w, mu, lb = logits[0, -1], centre[0, -1], log_b[0, -1]
            if temperature > 0:
                k = int(torch.multinomial((w / temperature).softmax(-1).cpu(), 1, generator=generator))
                u = torch.rand(mu.shape[1:], generator=generator).to(mu.device) - 0.5
                laplace = -torch.sign(u) * torch.log1p(-2 * u.abs()).clamp(min=-20)  # unit Laplace draw
                nxt = mu[k] + temperature * lb[k].exp() * laplace
            else:
                nxt = mu[int(w.argmax())]
            yield self.denormalise(nxt)
            logits, centre, log_b, h = self.step(nxt[None, None], h)
