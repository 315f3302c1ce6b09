"""A melody RNN over note events: it continues a tune, or composes one from nothing in a key and metre.

A tune is read as a sequence of events (`melody_tokens.py`), each a pitch (or a rest) and how long until
the next event. At every step a GRU sees the previous event, where in the bar the next one falls, and
the tune's key and metre; it predicts the next pitch, then the next duration given that pitch (a
factorised softmax: the probability of an event is p(pitch) * p(duration | pitch)). It is the event-RNN
of Magenta's MelodyRNN (Waite et al. 2016) with Performance-RNN-style conditioning, kept to nanoGPT's
shape: a `@dataclass` config, a short `__init__`, a `forward` that reads top to bottom, `generate()`.

This module is the network only; continuing and composing with a loaded model is `compose.py`,
training is `train_melody.py`. The bundled model learned from public-domain fiddle tunes (see
`melody_data.py` and its metadata); the runtime needs torch only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from engines import checkpoints
from engines.sound.melody_tokens import BOS, DURATIONS, GRID, N_PITCH, N_POS, PITCH_LO, REST, Events, longest_within
from engines.sound.tunes import METRES, MODES

ENGINE = "sound"
KIND = "melody"


@dataclass(frozen=True)
class MelodyConfig:
    hidden: int = 256  # GRU width
    layers: int = 2  # stacked GRU layers
    embed: int = 128  # width of each input embedding (summed)
    dropout: float = 0.2  # between GRU layers and before the heads (training only)

    def to_dict(self) -> dict:
        return asdict(self)


class MelodyRNN(nn.Module):
    """GRU over note events; two heads: the next pitch, then its duration given that pitch."""

    def __init__(self, cfg: MelodyConfig) -> None:
        super().__init__()
        self.cfg = cfg
        e, h = cfg.embed, cfg.hidden
        # inputs: the previous event, its scale degree, where the next event falls, the conditioning
        self.pitch_in = nn.Embedding(BOS + 1, e)
        self.degree_in = nn.Embedding(13, e)  # (pitch - tonic) % 12; 12 = rest / unknown key
        self.dur_in = nn.Embedding(len(DURATIONS) + 1, e)  # + 1: nothing before the first event
        self.pos_in = nn.Embedding(N_POS, e)
        self.tonic_in = nn.Embedding(13, e)
        self.mode_in = nn.Embedding(len(MODES) + 1, e)
        self.metre_in = nn.Embedding(len(METRES) + 1, e)
        self.gru = nn.GRU(e, h, cfg.layers, batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        # heads
        self.pitch_out = nn.Linear(h, N_PITCH)
        self.dur_given = nn.Embedding(N_PITCH, h)  # the chosen pitch, for the duration head
        self.dur_degree = nn.Embedding(13, h)
        self.dur_out = nn.Sequential(nn.Linear(h, h), nn.Tanh(), nn.Linear(h, len(DURATIONS)))

    @staticmethod
    def degree(pitch: torch.Tensor, tonic: torch.Tensor) -> torch.Tensor:
        """Scale degree (pitch class above the tonic) of pitch tokens; 12 for rests, BOS or no key."""
        deg = (pitch + PITCH_LO - tonic[:, None]) % 12
        return torch.where((pitch >= REST) | (tonic[:, None] == 12), torch.full_like(pitch, 12), deg)

    def step_inputs(self, prev_pitch, prev_dur, pos, tonic, mode, metre) -> torch.Tensor:
        """Summed embeddings (B, T, embed) of the previous events and the conditioning."""
        cond = self.tonic_in(tonic) + self.mode_in(mode) + self.metre_in(metre)  # (B, e)
        x = (
            self.pitch_in(prev_pitch)
            + self.degree_in(self.degree(prev_pitch, tonic))
            + self.dur_in(prev_dur)
            + self.pos_in(pos)
        )  # (B, T, e)
        return x + cond[:, None]

    def duration_logits(self, h: torch.Tensor, pitch: torch.Tensor, tonic: torch.Tensor) -> torch.Tensor:
        """Duration logits given the GRU output and the pitch chosen for this event."""
        return self.dur_out(h + self.dur_given(pitch) + self.dur_degree(self.degree(pitch, tonic)))

    def forward(self, pitch, dur, pos, tonic, mode, metre, hidden=None):
        """Teacher-forced logits for events (B, T): returns pitch logits (B, T, N_PITCH), duration
        logits given the true pitch (B, T, len(DURATIONS)) and the GRU state."""
        B = pitch.shape[0]
        prev_pitch = torch.cat([torch.full((B, 1), BOS, dtype=pitch.dtype, device=pitch.device), pitch[:, :-1]], 1)
        prev_dur = torch.cat([torch.full((B, 1), len(DURATIONS), dtype=dur.dtype, device=dur.device), dur[:, :-1]], 1)
        x = self.step_inputs(prev_pitch, prev_dur, pos, tonic, mode, metre)
        h, hidden = self.gru(x, hidden)  # (B, T, hidden)
        h = self.drop(h)
        return self.pitch_out(h), self.duration_logits(h, pitch, tonic), hidden

    def loss(self, pitch, dur, pos, tonic, mode, metre, mask) -> torch.Tensor:
        """Mean negative log-likelihood per event (nats): -log p(pitch) - log p(duration | pitch)."""
        pl, dl, _ = self(pitch, dur, pos, tonic, mode, metre)
        nll = F.cross_entropy(pl.transpose(1, 2), pitch, reduction="none") + F.cross_entropy(
            dl.transpose(1, 2), dur, reduction="none"
        )
        return (nll * mask).sum() / mask.sum().clamp_min(1)

    @torch.no_grad()
    def generate(
        self,
        primer: Events,
        beats: float,
        start_pos: float,
        bar: float,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        max_events: int = 4096,
    ) -> tuple[list[int], list[int]]:
        """Events that follow `primer` (possibly empty) for `beats` beats. `start_pos` is where in the
        bar (beats) the first new event falls; temperature 0 picks the likeliest pitch and duration."""
        dev = self.pitch_out.weight.device
        tonic, mode, metre = (torch.tensor([t], device=dev) for t in (primer.tonic, primer.mode, primer.metre))
        hidden, prev_p, prev_d = None, BOS, len(DURATIONS)
        if primer.pitch:
            p = torch.tensor([primer.pitch], device=dev)
            d = torch.tensor([primer.dur], device=dev)
            pos = torch.tensor([primer.pos], device=dev)
            _, _, hidden = self(p, d, pos, tonic, mode, metre)
            prev_p, prev_d = primer.pitch[-1], primer.dur[-1]
        out_p, out_d, t = [], [], 0.0
        while t < beats - 1e-6 and len(out_p) < max_events:
            pos = min(N_POS - 1, int(round(((start_pos + t) % bar) * GRID)))
            x = self.step_inputs(
                torch.tensor([[prev_p]], device=dev),
                torch.tensor([[prev_d]], device=dev),
                torch.tensor([[pos]], device=dev),
                tonic,
                mode,
                metre,
            )
            h, hidden = self.gru(x, hidden)
            h = h[:, -1]
            p = _sample(self.pitch_out(h)[0], temperature, generator)
            d = _sample(self.duration_logits(h, torch.tensor([p], device=dev), tonic)[0], temperature, generator)
            d = min(d, longest_within(beats - t))  # the last event ends with the requested bars
            out_p.append(p)
            out_d.append(d)
            prev_p, prev_d = p, d
            t += DURATIONS[d] / GRID
        return out_p, out_d


def _sample(logits: torch.Tensor, temperature: float, generator: torch.Generator | None) -> int:
    """One token from logits at `temperature` (the likeliest at 0)."""
    if temperature <= 1e-3:
        return int(logits.argmax())
    probs = F.softmax(logits.float() / temperature, -1).cpu()
    return int(torch.multinomial(probs, 1, generator=generator))


def model_from_checkpoint(ck: checkpoints.Checkpoint) -> MelodyRNN:
    """The melody RNN a Sound checkpoint holds, in float32 (CheckpointError for another kind)."""
    if ck.config.get("kind") != KIND:
        raise checkpoints.CheckpointError("this Sound model is not a melody model")
    rnn = MelodyRNN(MelodyConfig(**ck.config["melody"]))
    rnn.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck.state_dict.items()})
    return rnn
