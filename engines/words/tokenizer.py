"""Character tokenizer: one id per character seen in training, plus an 'unknown' id for any
other character (shown as '\N{REPLACEMENT CHARACTER}'). It is saved inside the model's checkpoint."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

UNKNOWN = "\N{REPLACEMENT CHARACTER}"


@dataclass
class CharTokenizer:
    """Maps text to ids and back. `chars[0]` is always the unknown symbol."""

    chars: list[str]
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.chars or self.chars[0] != UNKNOWN:
            self.chars = [UNKNOWN] + [c for c in self.chars if c != UNKNOWN]
        self._index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> CharTokenizer:
        """Every character of `text` that occurs at least `min_count` times, sorted."""
        counts = Counter(text)
        return cls(sorted(c for c, n in counts.items() if n >= min_count))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Ids of `text`; characters never seen map to the unknown id 0."""
        return [self._index.get(c, 0) for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        """Ids of `text` as an int32 array, vectorised (a few bytes per character, not a Python
        list of ints): the form a training run keeps its whole text in."""
        codes = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
        known = np.array(sorted(ord(c) for c in self.chars), dtype=np.uint32)
        ids = np.array([self._index[chr(c)] for c in known], dtype=np.int32)
        at = np.minimum(np.searchsorted(known, codes), len(known) - 1)
        return np.where(known[at] == codes, ids[at], np.int32(0)).astype(np.int32, copy=False)

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] if 0 <= i < len(self.chars) else UNKNOWN for i in ids)

    def unknown_in(self, text: str) -> list[str]:
        """The distinct characters of `text` this tokenizer does not know (for a clear message)."""
        return sorted({c for c in text if c not in self._index})

    def to_dict(self) -> dict:
        return {"chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, data: dict) -> CharTokenizer:
        return cls(list(data["chars"]))
