"""A small decoder-only Transformer over characters.

References:
1) Radford et al. 2019, GPT-2 (pre-norm blocks, learned positions, tied embeddings)
2) Karpathy's nanoGPT model.py, whose layout this file follows
3) Holtzman et al. 2019, nucleus (top-p) sampling: https://arxiv.org/abs/1904.09751

Causal attention goes through `scaled_dot_product_attention`; sampling keeps a key/value cache
so each new character costs one position, not the whole context.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 96  # characters known (set from the training text's alphabet)
    block_size: int = 256  # longest context, in characters
    n_layer: int = 6  # Transformer blocks
    n_head: int = 6  # attention heads per block
    n_embd: int = 384  # width of every position's vector
    dropout: float = 0.1  # on attention and residual outputs while training

    def to_dict(self) -> dict:
        return asdict(self)


KVCache = list[tuple[torch.Tensor, torch.Tensor]]


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head, self.dropout = cfg.n_head, cfg.dropout
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        if cache is not None:  # prepend what earlier positions already computed
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        if cache is None:  # a whole window: the fused causal kernel, no (T, T) mask in memory
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
            )
        elif t > 1:
            # new queries see the cached past and each other causally
            past = k.shape[2] - t
            mask = torch.ones(t, k.shape[2], dtype=torch.bool, device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
            )
        else:  # one new query may see everything cached
            y = F.scaled_dot_product_attention(q, k, v)
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_drop(self.proj(y)), (k, v)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, cache=None):
        a, new_cache = self.attn(self.ln_1(x), cache)
        x = x + a
        return x + self.mlp(self.ln_2(x)), new_cache


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):  # scaled residual init (GPT-2)
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, KVCache]:
        """Logits (B, T, vocab) for ids (B, T); cross-entropy against `targets` if given;
        with `cache`, the positions continue after the cached ones."""
        b, t = idx.shape
        start = cache[0][0].shape[2] if cache else 0
        if start + t > self.cfg.block_size:
            raise ValueError(f"context of {start + t} exceeds the model's {self.cfg.block_size} characters")
        pos = torch.arange(start, start + t, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        new_cache: KVCache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, cache[i] if cache else None)
            new_cache.append(kv)
        logits = self.lm_head(self.ln_f(x))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss, new_cache

    @torch.no_grad()
    def stream(
        self,
        idx: torch.Tensor,
        max_new: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        repetition_penalty: float = 1.0,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
    ) -> Iterator[int]:
        """Yield new ids one at a time after the prompt `idx` (1, T), sampling with temperature,
        top-k, top-p and a repetition penalty. When the context fills, it slides (and the cache
        is rebuilt from the last half-window)."""
        self.eval()
        ids = idx[0].tolist()
        cache: KVCache | None = None
        window = self.cfg.block_size
        for _ in range(max_new):
            if not use_cache:
                logits, _, _ = self(torch.tensor([ids[-window:]], device=idx.device))
            elif cache is None or cache[0][0].shape[2] >= window:
                # first step, or the context is full: (re)build the cache from the recent text
                recent = ids[-window:] if cache is None else ids[-(window // 2) :]
                logits, _, cache = self(torch.tensor([recent], device=idx.device))
            else:
                logits, _, cache = self(torch.tensor([[ids[-1]]], device=idx.device), cache=cache)
            nxt = sample_next(logits[0, -1].float(), ids, temperature, top_k, top_p, repetition_penalty, generator)
            ids.append(nxt)
            yield nxt


def filter_top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability sum reaches `top_p`."""
    sorted_p, order = probs.sort(descending=True)
    cum = sorted_p.cumsum(0)
    keep = cum - sorted_p < top_p  # a token stays while the mass before it is under top_p
    keep[0] = True
    mask = torch.zeros_like(probs, dtype=torch.bool)
    mask[order[keep]] = True
    out = probs * mask
    return out / out.sum()


def sample_next(
    logits: torch.Tensor,
    history: list[int],
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float = 1.0,
    generator: torch.Generator | None = None,
) -> int:
    """One id from logits (vocab,), after the repetition penalty (CTRL-style), temperature,
    top-k and top-p. Temperature 0 means greedy."""
    logits = logits.clone()
    if repetition_penalty != 1.0 and history:
        seen = torch.tensor(sorted(set(history[-200:])), device=logits.device)
        vals = logits[seen]
        logits[seen] = torch.where(vals > 0, vals / repetition_penalty, vals * repetition_penalty)
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k:
        kth = logits.topk(min(top_k, logits.numel())).values[-1]
        logits[logits < kth] = -float("inf")
    probs = logits.softmax(-1)
    if top_p is not None and 0 < top_p < 1:
        probs = filter_top_p(probs, top_p)
    return int(torch.multinomial(probs.cpu(), 1, generator=generator))
