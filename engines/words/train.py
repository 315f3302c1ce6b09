"""The character Transformer's training loop: AdamW with warm-up and cosine decay over random windows
of the text, a held-out evaluation and a live sample every `eval_every` steps, and checkpoints that
resume (a finished run with `compact` set keeps weights only, and training it again fine-tunes).

`train_gpt(...)` is a generator of engines.events.TrainEvent (losses {"train", "held-out"} in nats
per character, the sample as its preview), so the studio streams and stops it. The command line is
`python -m engines.words train`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import torch

from engines.device import configure
from engines.events import PROGRESS_EVERY_S, TrainEvent, end_sentence, reach
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.words import files
from engines.words.data import Corpus
from engines.words.gpt import GPT, GPTConfig
from engines.words.recipe import END_ALLOWANCE_S, TrainConfig, eta_s, gpt_lr, progress_event, step_estimate
from engines.words.tokenizer import CharTokenizer

CURVES = ("train", "held-out")


def batches(data: torch.Tensor, block: int, batch: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of `block` ids and their next-character targets (int64, whatever `data` holds)."""
    ix = torch.randint(len(data) - block - 1, (batch,), generator=gen)
    x = torch.stack([data[i : i + block] for i in ix]).long()
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix]).long()
    return x, y


@torch.no_grad()
def evaluate(
    model: GPT, data: torch.Tensor, batches_n: int, batch: int, seed: int = 1234, deadline: float | None = None
) -> float:
    """Mean cross-entropy (nats per character) over fixed random windows (fewer once `deadline` passes)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    losses = []
    for _ in range(batches_n):
        x, y = batches(data, model.cfg.block_size, batch, gen)
        losses.append(model(x.to(device), y.to(device))[1].item())
        if deadline is not None and time.time() > deadline:
            break
    model.train()
    return sum(losses) / len(losses)


def sample(model: GPT, tok: CharTokenizer, prompt: str, n: int = 200, deadline: float | None = None) -> str:
    """What the model writes now after `prompt` (seeded, so samples compare across a run; cut short
    after 20 characters once `deadline` passes)."""
    device = next(model.parameters()).device
    ids = torch.tensor([tok.encode(prompt)[-model.cfg.block_size :] or [0]], device=device)
    out_ids = []
    for nxt in model.stream(ids, n, temperature=0.8, top_p=0.95, generator=torch.Generator().manual_seed(0)):
        out_ids.append(nxt)
        if deadline is not None and len(out_ids) >= 20 and time.time() > deadline:
            break
    model.train()
    return tok.decode(out_ids)


def optimizer(model: GPT, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (not on biases, norms)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99))


def train_gpt(
    corpus: Corpus,
    out: str | Path,
    model_cfg: GPTConfig | None = None,
    cfg: TrainConfig | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    sample_prompt: str = "\n",
    init_from: str | Path | None = None,
) -> Iterator[TrainEvent]:
    """Train a character Transformer on `corpus` into `out` (written atomically): resume `out`, or
    fine-tune it (saved compact) or `init_from` keeping its alphabet, or start from scratch."""
    cfg, out = cfg or TrainConfig(), Path(out)
    t0 = time.time()  # the time budget counts from here: reading the text and the model are part of the run
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    start = files.starting_point(out, init_from, "gpt", CURVES)
    files.too_far(out, start, cfg.steps)
    if start.ck is not None:
        tok, model_cfg = CharTokenizer.from_dict(start.ck.extra["tokenizer"]), GPTConfig(**start.ck.config["gpt"])
    else:
        tok = CharTokenizer.from_text(corpus.train)
        model_cfg = replace(model_cfg or GPTConfig(), vocab_size=tok.vocab_size)
    model = GPT(model_cfg).to(dev)
    if start.ck is not None:
        model.load_state_dict({k: v.float() for k, v in start.ck.state_dict.items()})
    opt = optimizer(model, cfg)
    if start.resume:
        opt.load_state_dict(start.ck.extra["opt"])  # type: ignore[union-attr]
    train_ids = torch.from_numpy(tok.encode_array(corpus.train))  # int32: 4 bytes a character
    val_ids = torch.from_numpy(tok.encode_array(corpus.val))
    if len(train_ids) <= model_cfg.block_size + 1 or len(val_ids) <= model_cfg.block_size + 1:
        raise ValueError(f"the text is too short for a context of {model_cfg.block_size} characters")
    step, history = start.step, start.history
    gen = torch.Generator().manual_seed(cfg.seed + step)
    train_loss, val_loss = float("nan"), None

    def save(compact: bool) -> Path:
        meta = {
            "data": data_note or corpus.describe(),
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": {"train_loss": train_loss, "val_loss": val_loss},
            "history": history[-400:],
            "name": name or out.stem,
            "train_seconds": round(start.seconds_before + time.time() - t0, 1),
            "val_chars": len(corpus.val),
            "lineage": start.lineage,
        }
        config = {"kind": "gpt", "gpt": model_cfg.to_dict()}
        return files.save_run(out, model, config, meta, {"tokenizer": tok.to_dict()}, None if compact else opt)

    yield TrainEvent(step, cfg.steps, message=start.message, history=list(history))
    model.train()
    step_s, reported = None, time.time()
    while True:
        tick = time.time()
        for group in opt.param_groups:
            group["lr"] = gpt_lr(cfg, step, tick - t0)
        x, y = batches(train_ids, model_cfg.block_size, cfg.batch, gen)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            _, loss, _ = model(x.to(dev), y.to(dev))
        optimizer_step(opt, loss, model.parameters(), cfg.grad_clip)
        step += 1
        train_loss = running_mean(train_loss, loss.item())
        step_s = step_estimate(step_s, time.time() - tick)
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time() + step_s)
        if step % cfg.eval_every == 0 or reason:
            reported = time.time()
            deadline = time.time() + END_ALLOWANCE_S if reason not in (None, "finished") else None
            val_loss = evaluate(model, val_ids, cfg.eval_batches, cfg.batch, deadline=deadline)
            losses = {"train": train_loss, "held-out": val_loss}
            history.append((step, {k: round(v, 4) for k, v in losses.items()}))
            compact = cfg.compact and reason == "finished"
            ckpt = save(compact) if (step % cfg.checkpoint_every == 0 or reason) else None
            text = sample(model, tok, sample_prompt, deadline=time.time() + END_ALLOWANCE_S if deadline else None)
            elapsed = time.time() - t0
            yield TrainEvent(
                step,
                cfg.steps,
                losses,
                elapsed,
                eta_s(step, cfg.steps, step_s, elapsed, cfg.time_budget_s),
                text,
                ckpt,
                bool(reason),
                end_sentence(reason, step, cfg.steps, ckpt, name or out.stem, compact) if ckpt and reason else "",
                list(history),
                {
                    "steps_per_s": round(1 / max(step_s, 1e-9), 2),
                    **reach(step, cfg.steps, step_s, cfg.time_budget_s, elapsed),
                },
            )
        elif time.time() - reported >= PROGRESS_EVERY_S:  # between evaluations: the step, for the status line
            reported = time.time()
            yield progress_event(cfg, step, train_loss, step_s, reported - t0, history)
        if reason:
            return
