"""A recurrent VAE over lines of text (Bowman et al. 2016, https://arxiv.org/abs/1511.06349):
a GRU encodes a line into a Gaussian latent; a GRU decoder writes it back from the latent.
KL annealing and character dropout on the decoder's input keep the decoder from ignoring the
latent, so nearby latents give related lines and a straight path between two lines
(a homotopy) passes through lines that share their traits. The latent also feeds the output
layer directly (a generative skip connection, Dieng et al. 2019, https://arxiv.org/abs/1807.04863),
which keeps the decoder listening to it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from engines.words.tokenizer import CharTokenizer

BOS, EOS, PAD = 1, 2, 3  # reserved ids after the tokenizer's unknown id 0; text ids start at 4
OFFSET = 4


@dataclass(frozen=True)
class VAEConfig:
    vocab_size: int = 100  # tokenizer size + OFFSET
    embed: int = 64  # character embedding width
    hidden: int = 256  # GRU width (the encoder's, each way, and the decoder's)
    latent: int = 24  # numbers a line is squeezed into
    max_len: int = 82  # characters per line, with BOS/EOS

    def to_dict(self) -> dict:
        return asdict(self)


class RNNVAE(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed, padding_idx=PAD)
        # encoder: bidirectional GRU -> mean and log-variance of q(z | line)
        self.encoder = nn.GRU(cfg.embed, cfg.hidden, batch_first=True, bidirectional=True)
        self.to_mu = nn.Linear(2 * cfg.hidden, cfg.latent)
        self.to_logvar = nn.Linear(2 * cfg.hidden, cfg.latent)
        # decoder: z sets the first hidden state and is fed at every step
        self.from_z = nn.Linear(cfg.latent, cfg.hidden)
        self.decoder = nn.GRU(cfg.embed + cfg.latent, cfg.hidden, batch_first=True)
        self.out = nn.Linear(cfg.hidden + cfg.latent, cfg.vocab_size)  # z skips to the output too

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (B, T) with BOS..EOS and PAD -> (mu, logvar), each (B, latent)."""
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, h = self.encoder(packed)
        h = torch.cat([h[0], h[1]], dim=1)
        return self.to_mu(h), self.to_logvar(h)

    def decode_logits(self, z: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, vocab) for decoder inputs (B, T) given z (B, latent)."""
        h0 = torch.tanh(self.from_z(z))[None]
        x = torch.cat([self.embed(inputs), z[:, None].expand(-1, inputs.shape[1], -1)], dim=2)
        y, _ = self.decoder(x, h0)
        return self.out(torch.cat([y, z[:, None].expand(-1, y.shape[1], -1)], dim=2))

    def forward(
        self, ids: torch.Tensor, lengths: torch.Tensor, word_dropout: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (reconstruction loss per character, KL per line, logits)."""
        mu, logvar = self.encode(ids, lengths)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        inputs, targets = ids[:, :-1], ids[:, 1:]
        if word_dropout > 0 and self.training:  # hide characters so the decoder must use z
            drop = (torch.rand_like(inputs, dtype=torch.float) < word_dropout) & (inputs > EOS) & (inputs != PAD)
            inputs = inputs.masked_fill(drop, 0)
        logits = self.decode_logits(z, inputs)
        recon = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
        return recon, kl, logits

    @torch.no_grad()
    def generate(
        self, z: torch.Tensor, greedy: bool = True, temperature: float = 1.0, generator: torch.Generator | None = None
    ) -> list[list[int]]:
        """Decode latents (B, latent) to id lists (without BOS/EOS)."""
        self.eval()
        b = z.shape[0]
        h = torch.tanh(self.from_z(z))[None]
        tok = torch.full((b, 1), BOS, dtype=torch.long, device=z.device)
        out: list[list[int]] = [[] for _ in range(b)]
        done = [False] * b
        for _ in range(self.cfg.max_len):
            y, h = self.decoder(torch.cat([self.embed(tok), z[:, None]], dim=2), h)
            logits = self.out(torch.cat([y[:, -1], z], dim=1))
            logits[:, [BOS, PAD]] = -float("inf")
            if greedy:
                nxt = logits.argmax(-1)
            else:
                nxt = torch.multinomial((logits / max(temperature, 1e-4)).softmax(-1).cpu(), 1, generator=generator)[
                    :, 0
                ].to(z.device)
            for i, t in enumerate(nxt.tolist()):  # one device sync per step, not one per line
                if not done[i]:
                    if t == EOS:
                        done[i] = True
                    else:
                        out[i].append(t)
            if all(done):
                break
            tok = nxt[:, None]
        return out

    @torch.no_grad()
    def beam_search(self, z: torch.Tensor, beams: int = 4) -> list[list[int]]:
        """The likeliest line for each latent (B, latent) by beam search: greedy decoding commits to
        each character at once, so one early slip derails the rest; beams keep the runners-up."""
        self.eval()
        b, k, v = z.shape[0], beams, self.cfg.vocab_size
        zk = z.repeat_interleave(k, 0)  # (B*K, latent)
        h = torch.tanh(self.from_z(zk))[None]
        tok = torch.full((b * k, 1), BOS, dtype=torch.long, device=z.device)
        score = torch.full((b, k), -float("inf"), device=z.device)
        score[:, 0] = 0.0  # start from one live beam
        done = torch.zeros(b, k, dtype=torch.bool, device=z.device)
        seqs = torch.zeros(b, k, 0, dtype=torch.long, device=z.device)
        for _ in range(self.cfg.max_len):
            y, h = self.decoder(torch.cat([self.embed(tok), zk[:, None]], dim=2), h)
            logp = self.out(torch.cat([y[:, -1], zk], dim=1)).float()
            logp[:, [BOS, PAD]] = -float("inf")
            logp = logp.log_softmax(-1).view(b, k, v)
            # a finished beam stays as it is: one continuation (PAD) at no cost
            logp = torch.where(done[..., None], torch.full_like(logp, -float("inf")), logp)
            logp[..., PAD] = torch.where(done, 0.0, -float("inf"))
            top, idx = (score[..., None] + logp).view(b, k * v).topk(k, dim=1)
            parent, nxt = idx // v, idx % v
            score = top
            seqs = torch.cat([seqs.gather(1, parent[..., None].expand(-1, -1, seqs.shape[2])), nxt[..., None]], 2)
            done = done.gather(1, parent) | (nxt == EOS)
            h = h.view(1, b, k, -1).gather(2, parent[None, ..., None].expand(1, -1, -1, h.shape[-1])).view(1, b * k, -1)
            tok = nxt.view(b * k, 1)
            if bool(done.all()):
                break
        best = seqs[torch.arange(b), score.argmax(1)].tolist()
        return [
            [t for t in row[: row.index(EOS)] if t != PAD] if EOS in row else [t for t in row if t != PAD]
            for row in best
        ]


def lines_to_ids(tok: CharTokenizer, lines: list[str], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lines -> padded ids (N, max_len) with BOS/EOS in the VAE's id space, and their lengths."""
    rows = [[BOS] + [i + OFFSET for i in tok.encode(line[: max_len - 2])] + [EOS] for line in lines]
    ids = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, torch.tensor([len(r) for r in rows])


def ids_to_text(tok: CharTokenizer, ids: list[int]) -> str:
    """A decoded id list (the VAE's id space) back to text, leaving out the reserved ids."""
    return tok.decode([i - OFFSET for i in ids if i >= OFFSET])


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Evenly spaced points on the straight line from a to b, ends included: (steps, dim)."""
    t = torch.linspace(0, 1, steps, device=a.device)[:, None]
    return (1 - t) * a + t * b


def slerp_path(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Evenly spaced points on the great circle from a to b (norms interpolated linearly)."""
    an, bn = a / a.norm(), b / b.norm()
    omega = torch.arccos((an * bn).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    t = torch.linspace(0, 1, steps, device=a.device)[:, None]
    if omega.abs() < 1e-4:
        return lerp(a, b, steps)
    direction = (torch.sin((1 - t) * omega) * an + torch.sin(t * omega) * bn) / torch.sin(omega)
    return direction * ((1 - t) * a.norm() + t * b.norm())
