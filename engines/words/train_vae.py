"""Train the Words RNN-VAE on lines of text (the CLI is `python -m engines.words.train --model vae`).

As a library, `train_vae(...)` is a generator of WordsEvent (reconstruction loss, held-out KL,
a line sampled from the prior) so the UI can stream and stop it; a run resumes from `out`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.words.data import Corpus
from engines.words.tokenizer import CharTokenizer
from engines.words.train import ENGINE, WordsEvent, _load_words_model, step_estimate


@dataclass(frozen=True)
class VAETrainConfig:
    steps: int = 6000
    batch: int = 64
    lr: float = 2e-3
    kl_ramp: float = 0.3  # KL weight rises 0 -> kl_weight over this share of the run
    lr_floor: float = 0.1  # the learning rate decays (cosine) to this share of lr by the end
    kl_weight: float = 1.0  # below 1 keeps more of each line in the latent (sharper reconstructions)
    bucket: bool = True  # batches of lines of similar length
    bf16: bool = False
    word_dropout: float = 0.3
    eval_every: int = 250
    checkpoint_every: int = 500
    seed: int = 0
    time_budget_s: float | None = None


def lines_to_ids(tok: CharTokenizer, lines: list[str], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lines -> padded ids (N, max_len) with BOS/EOS in the VAE's id space, and lengths."""
    from engines.words.rnn_vae import BOS, EOS, OFFSET, PAD

    rows = [[BOS] + [i + OFFSET for i in tok.encode(line[: max_len - 2])] + [EOS] for line in lines]
    ids = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, torch.tensor([len(r) for r in rows])


def ids_to_text(tok: CharTokenizer, ids: list[int]) -> str:
    from engines.words.rnn_vae import OFFSET

    return tok.decode([i - OFFSET for i in ids if i >= OFFSET])


@torch.no_grad()
def vae_metrics(model, tok: CharTokenizer, lines: list[str], beams: int = 4) -> dict[str, float]:
    """KL (nats per line) and reconstruction character accuracy from the posterior mean, decoded
    the likeliest way (beam search, `recon_char_acc`) and greedily (`recon_char_acc_greedy`).
    Character accuracy is 1 - character error rate (edit distance over the line's length, as in
    OCR and speech recognition), so one dropped letter costs one character, not the rest of the line."""
    model.eval()
    device = next(model.parameters()).device
    ids, lengths = lines_to_ids(tok, lines, model.cfg.max_len)
    ids, lengths = ids.to(device), lengths.to(device)
    mu, logvar = model.encode(ids, lengths)
    kl = float(-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean())

    def accuracy(decoded: list[list[int]]) -> float:
        errors = total = 0
        for line, out in zip(lines, decoded):
            target = line[: model.cfg.max_len - 2]
            errors += edit_distance(ids_to_text(tok, out), target)
            total += len(target)
        return max(0.0, 1 - errors / max(total, 1))

    result = {
        "kl": kl,
        "recon_char_acc": accuracy(model.beam_search(mu, beams)),
        "recon_char_acc_greedy": accuracy(model.generate(mu)),
    }
    model.train()
    return result


def run_progress(step: int, steps: int, elapsed_s: float, budget_s: float | None) -> float:
    """How far through its schedule a run is (0..1): by steps, or by time when a time budget
    would end it sooner, so a time-budgeted run still anneals the KL and decays the rate."""
    done = step / max(1, steps)
    if budget_s:
        done = max(done, elapsed_s / budget_s)
    return min(1.0, done)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions each cost 1)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@torch.no_grad()
def line_atlas(model, tok: CharTokenizer, lines: list[str], max_lines: int = 4000) -> dict[str, list]:
    """Slider axes for the VAE: principal directions of the lines' posterior means, with their spread."""
    model.eval()
    device = next(model.parameters()).device
    pick = lines[:: max(1, len(lines) // max_lines)][:max_lines]
    mus = []
    for i in range(0, len(pick), 512):
        ids, lengths = lines_to_ids(tok, pick[i : i + 512], model.cfg.max_len)
        mus.append(model.encode(ids.to(device), lengths.to(device))[0].cpu())
    mu = torch.cat(mus)
    mean = mu.mean(0)
    _, sv, v = torch.linalg.svd(mu - mean, full_matrices=False)
    model.train()
    return {"mean": mean.tolist(), "directions": v.tolist(), "std": (sv / max(1, len(mu) - 1) ** 0.5).tolist()}


def load_vae(path: str | Path, device: str = "cpu"):
    """A trained RNN-VAE, its tokenizer and checkpoint."""
    from engines.words.rnn_vae import RNNVAE, VAEConfig

    return _load_words_model(path, "vae", lambda c: RNNVAE(VAEConfig(**c)), "an RNN-VAE", device)


def finetune_config(init_from: str | Path, **overrides) -> VAETrainConfig:
    """Settings for fine-tuning a trained line VAE: its own KL weight and character dropout, the
    KL weight at full strength from the first step (the latent is already in use; a fresh ramp
    would let the KL balloon and then squeeze it back), and a gentler learning rate."""
    base = checkpoints.load(init_from, engine=ENGINE).meta.get("train_config", {})
    keep = {k: base[k] for k in ("kl_weight", "word_dropout") if k in base}
    return replace(VAETrainConfig(lr=1e-3, kl_ramp=0.0, **keep), **overrides)


def train_vae(
    train_lines: list[str],
    val_lines: list[str],
    out: str | Path,
    model_cfg=None,
    cfg: VAETrainConfig | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    init_from: str | Path | None = None,
) -> Iterator[WordsEvent]:
    """Train (or resume, or fine-tune from `init_from`) an RNN-VAE on lines; events carry recon
    loss as train_loss, the held-out KL as val_loss, and a sample decoded from the prior."""
    from engines.words.rnn_vae import OFFSET, RNNVAE, VAEConfig

    cfg, out = cfg or VAETrainConfig(), Path(out)
    t0 = time.time()  # the time budget counts from here: preparing the lines is part of the run
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    step, history, seconds_before, message = 0, [], 0.0, "started"
    base, lineage = None, []
    if not out.is_file() and init_from:
        _, _, base = load_vae(init_from)
    if out.is_file() or base is not None:
        ck = checkpoints.load(out, engine=ENGINE) if out.is_file() else base
        tok, model_cfg = CharTokenizer.from_dict(ck.extra["tokenizer"]), VAEConfig(**ck.config["vae"])
    else:
        tok = CharTokenizer.from_text("\n".join(train_lines))
        model_cfg = replace(model_cfg or VAEConfig(), vocab_size=tok.vocab_size + OFFSET)
    model = RNNVAE(model_cfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if base is not None:
        model.load_state_dict({k: v.float() for k, v in base.state_dict.items()})
        message = f"fine-tuning {base.meta.get('name', Path(init_from).stem)}"
        lineage = checkpoints.lineage_after(base.meta)
    elif out.is_file():
        model.load_state_dict(ck.state_dict)
        if "opt" in ck.extra:
            opt.load_state_dict(ck.extra["opt"])
        step, history = int(ck.meta.get("steps", 0)), [tuple(h) for h in ck.meta.get("history", [])]
        seconds_before, message = float(ck.meta.get("train_seconds", 0.0)), f"resumed at step {step}"
        lineage = ck.meta.get("lineage", [])
    ids, lengths = lines_to_ids(tok, train_lines, model_cfg.max_len)
    jitter = torch.rand(len(lengths), generator=torch.Generator().manual_seed(cfg.seed))
    by_length = torch.argsort(lengths.float() + jitter)
    probe = val_lines[:: max(1, len(val_lines) // 256)][:256]  # spread over the held-out text, not its first page
    gen = torch.Generator().manual_seed(cfg.seed + step)
    recon_avg, metrics = float("nan"), {}

    def save() -> Path:
        meta = {
            "data": data_note or f"{len(train_lines):,} lines",
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": {"recon": recon_avg, **metrics},
            "history": history[-400:],
            "name": name or out.stem,
            "train_seconds": round(seconds_before + time.time() - t0, 1),
            "lineage": lineage,
        }
        extra = {"tokenizer": tok.to_dict(), "atlas": line_atlas(model, tok, train_lines), "opt": opt.state_dict()}
        return checkpoints.save(
            out, Checkpoint(ENGINE, model.state_dict(), {"kind": "vae", "vae": model_cfg.to_dict()}, meta, extra)
        )

    def prior_sample() -> str:
        z = torch.randn(1, model_cfg.latent, generator=torch.Generator().manual_seed(step)).to(dev)
        text = ids_to_text(tok, model.generate(z)[0])
        model.train()
        return text

    yield WordsEvent(step, cfg.steps, recon_avg, None, message=message)
    model.train()
    step_s = None
    while step < cfg.steps:
        tick = time.time()
        if cfg.bucket:  # lines of similar length together: little padding, so each step costs less
            start = int(torch.randint(0, max(1, len(ids) - cfg.batch), (1,), generator=gen))
            idx = by_length[start : start + cfg.batch]
        else:
            idx = torch.randint(0, len(ids), (cfg.batch,), generator=gen)
        batch_lengths = lengths[idx]
        batch = ids[idx, : int(batch_lengths.max())]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            recon, kl, _ = model(batch.to(dev), batch_lengths.to(dev), cfg.word_dropout)
        recon, kl = recon.float(), kl.float()
        progress = run_progress(step, cfg.steps, time.time() - t0, cfg.time_budget_s)
        beta = cfg.kl_weight * min(1.0, progress / max(1e-6, cfg.kl_ramp))
        for group in opt.param_groups:
            group["lr"] = cfg.lr * (cfg.lr_floor + (1 - cfg.lr_floor) * 0.5 * (1 + math.cos(math.pi * progress)))
        loss = recon + beta * kl / batch_lengths.float().mean().to(dev)  # KL per line spread over its characters
        optimizer_step(opt, loss, model.parameters())
        step += 1
        recon_avg = running_mean(recon_avg, recon.item())
        step_s = step_estimate(step_s, time.time() - tick)
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time() + step_s)
        if step % cfg.eval_every == 0 or reason:
            early = reason is not None and reason != "finished"  # a budget or Stop: a quick closing look
            metrics = vae_metrics(model, tok, probe[::8] if early else probe)
            history.append((step, round(recon_avg, 4), round(metrics["kl"], 3)))
            ckpt = save() if (step % cfg.checkpoint_every == 0 or reason) else None
            note = f"reconstructs {metrics['recon_char_acc']:.0%} of held-out characters"
            yield WordsEvent(
                step,
                cfg.steps,
                recon_avg,
                metrics["kl"],
                prior_sample(),
                ckpt,
                bool(reason),
                f"{reason}; {note}" if reason else note,
                time.time() - t0,
                list(history),
            )
        if reason:
            return


def main_vae(args: argparse.Namespace, corpus: Corpus, note: str) -> None:
    from engines.words import data as words_data
    from engines.words.rnn_vae import VAEConfig

    train_lines, val_lines = words_data.verse_lines(corpus.train), words_data.verse_lines(corpus.val)
    note = f"{note}; RNN-VAE on {len(train_lines):,} verse lines ({len(val_lines):,} held out)"
    print(note, flush=True)
    model_cfg = VAEConfig(hidden=args.width, latent=args.latent)
    cfg = VAETrainConfig(
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        kl_weight=args.kl_weight,
        seed=args.seed,
        word_dropout=args.word_dropout,
        eval_every=args.eval_every,
        bf16=args.bf16,
        kl_ramp=args.kl_ramp,
        checkpoint_every=args.eval_every * 2,
        time_budget_s=args.time_budget,
    )
    if args.init_from:
        note += f"; fine-tuned from {Path(args.init_from).name}"
    for ev in train_vae(
        train_lines, val_lines, args.out, model_cfg, cfg, device=args.device, data_note=note, init_from=args.init_from
    ):
        print(
            json.dumps(
                {
                    "step": ev.step,
                    "recon": round(ev.train_loss, 4),
                    "kl": None if ev.val_loss is None else round(ev.val_loss, 3),
                    "seconds": round(ev.seconds, 1),
                    "msg": ev.message,
                }
            ),
            flush=True,
        )
        if ev.sample:
            print("   " + ev.sample[:100], flush=True)
