"""Making things with loaded Words models (what the studio calls): prompts made safe (unknown
characters, over-long prompts), text streamed in chunks with stop sequences, and the RNN-VAE's line
morphs, latent sliders and prior samples. Everything is deterministic for a given model, seed and
settings. Models load once per file version and list as bundled or the artist's own."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engines import checkpoints
from engines.settings import assets_dir
from engines.words import files
from engines.words.files import ENGINE
from engines.words.gpt import GPT
from engines.words.rnn_vae import RNNVAE, ids_to_text, lerp, lines_to_ids, slerp_path
from engines.words.tokenizer import CharTokenizer

BUNDLED_DIR = assets_dir() / "models" / "words"
N_SLIDERS = 8
MAX_NEW = 5000  # characters one request may write
MAX_MORPH_STEPS = 40
CHUNK = 8  # characters per streamed chunk
DEFAULT_RANGE = 3.0  # a slider's reach (in spreads) when its model's directions were never measured


@dataclass
class Writer:
    """A loaded Transformer with its alphabet."""

    model: GPT
    tok: CharTokenizer
    meta: dict
    path: Path
    hash: str

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.stem


@dataclass
class LineModel:
    """A loaded RNN-VAE with its alphabet and slider axes."""

    model: RNNVAE
    tok: CharTokenizer
    meta: dict
    path: Path
    hash: str
    mean: torch.Tensor
    directions: torch.Tensor
    std: torch.Tensor
    measured: dict | None = None  # what each direction changes and how far it stays readable (lines.measure)

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.stem

    def slider_names(self, n: int = N_SLIDERS) -> list[str]:
        """Each slider's name: the measured trait it changes, else its number."""
        found = (self.measured or {}).get("directions", [])
        return [str(found[i]["name"]) if i < len(found) else f"Direction {i + 1}" for i in range(n)]

    def slider_ranges(self, n: int = N_SLIDERS) -> list[float]:
        """How far each slider goes either way (in spreads): the measured readable range, else the default."""
        found = (self.measured or {}).get("directions", [])
        return [float(found[i].get("range", DEFAULT_RANGE)) if i < len(found) else DEFAULT_RANGE for i in range(n)]


@dataclass
class Prompt:
    """A prompt as the model will see it, and what was changed on the way (for the artist)."""

    ids: list[int]
    text: str
    notes: list[str] = field(default_factory=list)


def _build(path: str) -> Writer | LineModel:
    """A Words checkpoint as a Writer (Transformer) or a LineModel (RNN-VAE), ready to use."""
    ck = checkpoints.load(path, engine=ENGINE)
    h = checkpoints.file_hash(path)
    if ck.config.get("kind") == "gpt":
        model, tok = files.gpt_of(ck)
        return Writer(model.requires_grad_(False), tok, ck.meta, Path(path), h)
    if ck.config.get("kind") == "vae":
        model, tok = files.vae_of(ck)
        atlas = ck.extra.get("atlas") or {}
        n = model.cfg.latent
        measured = ck.extra.get("directions") or files.read_measures(path, h)
        return LineModel(
            model.requires_grad_(False),
            tok,
            ck.meta,
            Path(path),
            h,
            torch.tensor(atlas.get("mean", [0.0] * n)),
            torch.tensor(atlas.get("directions", torch.eye(n).tolist())),
            torch.tensor(atlas.get("std", [1.0] * n)),
            measured,
        )
    raise checkpoints.CheckpointError(f"{Path(path).name} is not a Words model this version can use")


load = checkpoints.file_cached(_build, "Words model")
"""Load a Words checkpoint once per file version; later calls reuse it."""


def load_writer(path: str | os.PathLike) -> Writer:
    """The Transformer at `path` (refusing a line model)."""
    m = load(path)
    if not isinstance(m, Writer):
        raise checkpoints.CheckpointError(f"{Path(path).name} is a line model (RNN-VAE), not a Transformer")
    return m


def load_line_model(path: str | os.PathLike) -> LineModel:
    """The line model at `path` (refusing a Transformer), with its slider measurements when it has them."""
    m = load(path)
    if not isinstance(m, LineModel):
        raise checkpoints.CheckpointError(f"{Path(path).name} is a Transformer, not a line model (RNN-VAE)")
    if m.measured is None:  # measured after it was first loaded (a training's end): read them now
        m.measured = files.read_measures(path, m.hash)
    return m


def available_models(user_dir: str | os.PathLike | None = None, kind: str = "gpt") -> dict[str, Path]:
    """Display name -> checkpoint for the bundled and the artist's Words models of one kind."""
    want = Writer if kind == "gpt" else LineModel
    return checkpoints.labelled_models(BUNDLED_DIR, user_dir, ENGINE, lambda p: isinstance(load(p), want))


# ---------------------------------------------------------------- the Transformer
def prepare_prompt(w: Writer, text: str, room: int = 0) -> Prompt:
    """Ids for a prompt: an empty prompt starts from a new line; characters the model never saw
    are reported; a prompt longer than the context keeps its end (with a note)."""
    notes = []
    text = text or ""
    if not text.strip():
        text = "\n"
        notes.append("No prompt: the model starts from a blank line.")
    unknown = w.tok.unknown_in(text)
    if unknown:
        shown = " ".join(repr(c) for c in unknown[:10])
        notes.append(
            f"The model never saw {len(unknown)} of these characters ({shown}); they are read as '{w.tok.chars[0]}'."
        )
    limit = w.model.cfg.block_size - max(1, min(room, w.model.cfg.block_size // 2))
    if len(text) > limit:
        notes.append(f"The prompt has {len(text):,} characters; the model reads the last {limit} of them.")
        text = text[-limit:]
    return Prompt(w.tok.encode(text), text, notes)


def stream(
    w: Writer,
    prompt: str,
    length: int = 400,
    temperature: float = 0.8,
    top_k: int = 0,
    top_p: float = 0.95,
    repetition_penalty: float = 1.0,
    seed: int = 0,
    stop: Sequence[str] = (),
) -> Iterator[str]:
    """Yield the text written after `prompt` in small chunks, ending at `length` characters or just
    before the first stop sequence."""
    if not 1 <= length <= MAX_NEW:
        raise ValueError(f"length must be between 1 and {MAX_NEW:,} characters")
    if temperature < 0 or not 0 < top_p <= 1 or top_k < 0 or repetition_penalty <= 0:
        raise ValueError("temperature >= 0, 0 < top-p <= 1, top-k >= 0 and a positive repetition penalty, please")
    p = prepare_prompt(w, prompt)
    stops = [s for s in stop if s]
    gen = torch.Generator().manual_seed(int(seed))
    ids = torch.tensor([p.ids])
    written, sent = "", 0
    for nxt in w.model.stream(
        ids,
        length,
        temperature=temperature,
        top_k=top_k or None,
        top_p=top_p,
        repetition_penalty=repetition_penalty,
        generator=gen,
    ):
        written += w.tok.decode([nxt])
        # one character arrives at a time, so a stop sequence that just appeared ends here: checking
        # the end keeps each step's cost independent of how much was written
        hit = min((len(written) - len(s) for s in stops if written.endswith(s)), default=-1)
        if hit >= 0:
            if hit > sent:
                yield written[sent:hit]
            return
        keep = max((len(s) - 1 for s in stops), default=0)  # hold back what may start a stop sequence
        if len(written) - keep - sent >= CHUNK:
            upto = len(written) - keep
            yield written[sent:upto]
            sent = upto
    if len(written) > sent:
        yield written[sent:]


def write(w: Writer, prompt: str, **kw: object) -> str:
    """The whole text `stream` writes after `prompt`."""
    return "".join(stream(w, prompt, **kw))


# ---------------------------------------------------------------- the RNN-VAE
def _check_line(m: LineModel, line: str) -> str:
    """A line stripped and checked: not empty, and short enough for the model."""
    line = (line or "").strip()
    if not line:
        raise ValueError("Write a line of text first.")
    limit = m.model.cfg.max_len - 2
    if len(line) > limit:
        raise ValueError(f"The line has {len(line)} characters; this model reads lines of up to {limit}.")
    return line


@torch.no_grad()
def encode_line(m: LineModel, line: str) -> torch.Tensor:
    """The posterior mean of a line (its place in the latent space)."""
    ids, lengths = lines_to_ids(m.tok, [_check_line(m, line)], m.model.cfg.max_len)
    return m.model.encode(ids, lengths)[0][0]


def decode(m: LineModel, z: torch.Tensor, greedy: bool = True, temperature: float = 0.8, seed: int = 0) -> list[str]:
    """Lines for latents (B, latent): the likeliest line (beam search) or a sampled one."""
    if greedy:
        out = m.model.beam_search(z, beams=4)
    else:
        gen = torch.Generator().manual_seed(int(seed))
        out = m.model.generate(z, greedy=False, temperature=temperature, generator=gen)
    return [ids_to_text(m.tok, ids) for ids in out]


def morph(
    m: LineModel,
    a: str,
    b: str,
    steps: int = 8,
    path: str = "straight",
    greedy: bool = True,
    temperature: float = 0.8,
    seed: int = 0,
) -> list[str]:
    """Lines along the latent path from line `a` to line `b` (both ends included)."""
    if not 2 <= steps <= MAX_MORPH_STEPS:
        raise ValueError(f"choose between 2 and {MAX_MORPH_STEPS} steps")
    za, zb = encode_line(m, a), encode_line(m, b)
    zs = slerp_path(za, zb, steps) if path == "spherical" else lerp(za, zb, steps)
    return decode(m, zs, greedy, temperature, seed)


def latent(m: LineModel, base: Sequence[float] | None, sliders: Sequence[float]) -> torch.Tensor:
    """A base latent (or the centre) moved along the principal directions, in units of their spread."""
    z = m.mean.clone() if base is None else torch.tensor(list(base), dtype=torch.float32)
    if z.shape != m.mean.shape:
        raise ValueError(f"a latent for this model has {m.mean.numel()} numbers, not {z.numel()}")
    for i, s in enumerate(list(sliders)[: len(m.directions)]):
        z = z + float(s) * m.std[i] * m.directions[i]
    return z


def surprise(m: LineModel, seed: int) -> torch.Tensor:
    """A latent drawn from the prior (a line nobody wrote)."""
    return torch.randn(m.model.cfg.latent, generator=torch.Generator().manual_seed(int(seed)))
