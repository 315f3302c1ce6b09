"""Fitting saved Paint weights into a model whose shape has since grown: a finer class list
(kinds refined from groups) or a discriminator that gained the minibatch-std channel. Each
keeps the saved model's behaviour at the start, so fine-tuning begins where the base left off."""

from __future__ import annotations

import torch

from engines.paint.model import Discriminator


def add_std_channel(state: dict[str, torch.Tensor], d: Discriminator) -> dict[str, torch.Tensor]:
    """Give a discriminator saved without minibatch std the input channel its last convolution
    now needs, with zero weights, so it starts out scoring every picture exactly as before."""
    if not d.cfg.minibatch_std:
        return state
    own, out = d.state_dict(), dict(state)
    for key in (f"features.{d.last_conv}.{name}" for name in ("weight_orig", "weight", "weight_v")):
        if key in state and key in own and state[key].shape != own[key].shape:
            grown = torch.zeros(own[key].shape, dtype=state[key].dtype)
            grown[tuple(slice(0, n) for n in state[key].shape)] = state[key]
            out[key] = grown
    return out


def load_matching(module: torch.nn.Module, state: dict[str, torch.Tensor]) -> int:
    """Load every tensor whose name and shape match; returns how many were loaded."""
    own = module.state_dict()
    keep = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    module.load_state_dict(keep, strict=False)
    return len(keep)


def refine_state(
    state: dict[str, torch.Tensor], own: dict[str, torch.Tensor], parents: list[int], n_old: int
) -> dict[str, torch.Tensor]:
    """Give every class-indexed tensor in `state` (embedding, conditional norms, projection,
    classifier, the plain D's label planes) one slice per finer class, copied from its parent, so
    a refined model starts out drawing each kind exactly as it drew the parent class."""
    idx, grow = torch.tensor(parents), len(parents) - n_old
    out = {}
    for key, v in state.items():
        target = own.get(key)
        diff = (
            []
            if target is None or target.dim() != v.dim()
            else [d for d in range(v.dim()) if target.shape[d] != v.shape[d]]
        )
        if len(diff) == 1 and target.shape[diff[0]] - v.shape[diff[0]] == grow and v.shape[diff[0]] >= n_old:
            d = diff[0]
            lead = v.shape[d] - n_old  # the plain D's image channels come before its label planes
            v = torch.cat([v.narrow(d, 0, lead), v.narrow(d, lead, n_old).index_select(d, idx.to(v.device))], d)
        out[key] = v
    return out
