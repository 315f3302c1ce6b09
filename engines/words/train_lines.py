"""The line RNN-VAE's training loop (Bowman et al. 2016): batches of lines of similar length, the KL
term's weight rising over the first part of the run, character dropout on the decoder's input, and
checkpoints that resume (a finished run with `compact` set keeps weights only, and training it again
fine-tunes). Also what the loop measures: held-out KL and reconstruction, and the slider axes.

`train_lines(...)` is a generator of engines.events.TrainEvent (losses {"train": reconstruction in
nats per character, "held-out KL": nats per line}, a line sampled from the prior as its preview), so
the studio streams and stops it. The command line is `python -m engines.words train-lines`.
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
from engines.words.recipe import LinesTrainConfig, eta_s, kl_beta, lines_lr, progress_event, run_progress, step_estimate
from engines.words.rnn_vae import OFFSET, RNNVAE, VAEConfig, ids_to_text, lines_to_ids
from engines.words.tokenizer import CharTokenizer

CURVES = ("train", "held-out KL")


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
def vae_metrics(model: RNNVAE, tok: CharTokenizer, lines: list[str], beams: int = 4) -> dict[str, float]:
    """KL (nats per line) and reconstruction character accuracy from the posterior mean, decoded
    the likeliest way (beam search, `recon_char_acc`) and greedily (`recon_char_acc_greedy`).
    Character accuracy is 1 - character error rate (edit distance over the line's length, as in
    OCR and speech recognition), so one dropped letter costs one character, not the rest of the line."""
    model.eval()
    device = next(model.parameters()).device
    ids, lengths = lines_to_ids(tok, lines, model.cfg.max_len)
    mu, logvar = model.encode(ids.to(device), lengths.to(device))
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


@torch.no_grad()
def line_atlas(model: RNNVAE, tok: CharTokenizer, lines: list[str], max_lines: int = 4000) -> dict[str, list]:
    """Slider axes for the line model: principal directions of the lines' posterior means, with their spread."""
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


def prior_sample(model: RNNVAE, tok: CharTokenizer, seed: int) -> str:
    """A line decoded from a latent drawn from the prior (what the model makes of a code nobody wrote)."""
    device = next(model.parameters()).device
    z = torch.randn(1, model.cfg.latent, generator=torch.Generator().manual_seed(seed)).to(device)
    text = ids_to_text(tok, model.generate(z)[0])
    model.train()
    return text


def train_lines(
    lines: list[str],
    val_lines: list[str],
    out: str | Path,
    model_cfg: VAEConfig | None = None,
    cfg: LinesTrainConfig | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    init_from: str | Path | None = None,
) -> Iterator[TrainEvent]:
    """Train a line RNN-VAE on `lines` into `out` (written atomically): resume `out`, or fine-tune it
    (saved compact) or `init_from`, or start from scratch; `val_lines` are measured, never trained on."""
    cfg, out = cfg or LinesTrainConfig(), Path(out)
    t0 = time.time()  # the time budget counts from here: preparing the lines is part of the run
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    start = files.starting_point(out, init_from, "vae", CURVES)
    files.too_far(out, start, cfg.steps)
    if start.ck is not None:
        tok, model_cfg = CharTokenizer.from_dict(start.ck.extra["tokenizer"]), VAEConfig(**start.ck.config["vae"])
    else:
        tok = CharTokenizer.from_text("\n".join(lines))
        model_cfg = replace(model_cfg or VAEConfig(), vocab_size=tok.vocab_size + OFFSET)
    model = RNNVAE(model_cfg).to(dev)
    if start.ck is not None:
        model.load_state_dict({k: v.float() for k, v in start.ck.state_dict.items()})
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if start.resume:
        opt.load_state_dict(start.ck.extra["opt"])  # type: ignore[union-attr]
    ids, lengths = lines_to_ids(tok, lines, model_cfg.max_len)
    jitter = torch.rand(len(lengths), generator=torch.Generator().manual_seed(cfg.seed))
    by_length = torch.argsort(lengths.float() + jitter)
    probe = val_lines[:: max(1, len(val_lines) // 256)][:256]  # spread over the held-out text, not its first page
    step, history = start.step, start.history
    gen = torch.Generator().manual_seed(cfg.seed + step)
    recon_avg, metrics = float("nan"), {}

    def save(compact: bool) -> Path:
        meta = {
            "data": data_note or f"{len(lines):,} lines",
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": {"recon": recon_avg, **metrics},
            "history": history[-400:],
            "name": name or out.stem,
            "train_seconds": round(start.seconds_before + time.time() - t0, 1),
            "lineage": start.lineage,
        }
        extra = {"tokenizer": tok.to_dict(), "atlas": line_atlas(model, tok, lines)}
        config = {"kind": "vae", "vae": model_cfg.to_dict()}
        return files.save_run(out, model, config, meta, extra, None if compact else opt)

    yield TrainEvent(step, cfg.steps, message=start.message, history=list(history))
    model.train()
    step_s, reported = None, time.time()
    while True:
        tick = time.time()
        if cfg.bucket:  # lines of similar length together: little padding, so each step costs less
            first = int(torch.randint(0, max(1, len(ids) - cfg.batch), (1,), generator=gen))
            idx = by_length[first : first + cfg.batch]
        else:
            idx = torch.randint(0, len(ids), (cfg.batch,), generator=gen)
        batch_lengths = lengths[idx]
        batch = ids[idx, : int(batch_lengths.max())]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            recon, kl, _ = model(batch.to(dev), batch_lengths.to(dev), cfg.word_dropout)
        recon, kl = recon.float(), kl.float()
        progress = run_progress(step, cfg.steps, time.time() - t0, cfg.time_budget_s)
        for group in opt.param_groups:
            group["lr"] = lines_lr(cfg, progress)
        # the KL per line spread over its characters, to weigh against the per-character reconstruction
        loss = recon + kl_beta(cfg, progress) * kl / batch_lengths.float().mean().to(dev)
        optimizer_step(opt, loss, model.parameters())
        step += 1
        recon_avg = running_mean(recon_avg, recon.item())
        step_s = step_estimate(step_s, time.time() - tick)
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time() + step_s)
        if step % cfg.eval_every == 0 or reason:
            reported = time.time()
            early = reason not in (None, "finished")  # a budget or Stop: a quick closing look
            metrics = vae_metrics(model, tok, probe[::8] if early else probe)
            losses = {"train": recon_avg, "held-out KL": metrics["kl"]}
            history.append((step, {"train": round(recon_avg, 4), "held-out KL": round(metrics["kl"], 3)}))
            compact = cfg.compact and reason == "finished"
            ckpt = save(compact) if (step % cfg.checkpoint_every == 0 or reason) else None
            note = f"reconstructs {metrics['recon_char_acc']:.0%} of held-out characters"
            if ckpt and reason:
                note = f"{end_sentence(reason, step, cfg.steps, ckpt, name or out.stem, compact)} It {note}."
            elapsed = time.time() - t0
            yield TrainEvent(
                step,
                cfg.steps,
                losses,
                elapsed,
                eta_s(step, cfg.steps, step_s, elapsed, cfg.time_budget_s),
                prior_sample(model, tok, step),
                ckpt,
                bool(reason),
                note,
                list(history),
                {
                    **{k: round(v, 4) for k, v in metrics.items()},
                    **reach(step, cfg.steps, step_s, cfg.time_budget_s, elapsed),
                },
            )
        elif time.time() - reported >= PROGRESS_EVERY_S:  # between evaluations: the step, for the status line
            reported = time.time()
            yield progress_event(cfg, step, recon_avg, step_s, reported - t0, history)
        if reason:
            return
