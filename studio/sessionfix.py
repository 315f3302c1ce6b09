"""A new visitor session without a copy of the whole page.

For every new session gradio computes the configuration of every component on the page (713 in
Atelier) and keeps it, only so that a "deep link" could save the page's state later. That costs
tens of milliseconds of CPU and about 1.2 MB per session: every plain-HTTP API call is a new session,
and on a shared studio visitors' sessions pile up. Atelier has no deep links; the entries are made
when something asks for them instead (the values a handler changes are still recorded as they change).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gradio.state_holder import SessionState

_ORIGINAL_INIT = SessionState.__init__


class _WithoutPageCopy:
    """What SessionState.__init__ reads from the Blocks, with no components to copy the config of."""

    def __init__(self, blocks: Any) -> None:
        self.default_config = blocks.default_config
        self.blocks: dict = {}


def _init(self: SessionState, blocks: Any) -> None:
    _ORIGINAL_INIT(self, _WithoutPageCopy(blocks))
    self._page_blocks = blocks.blocks  # type: ignore[attr-defined]


def _components(self: SessionState) -> Iterator[dict]:
    """Every component's configuration in this session (made now for the ones never changed)."""
    page = getattr(self, "_page_blocks", {})
    for key, block in self.blocks_config.blocks.items():
        if key in page and key not in self.config_values:
            self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
    for config in self.config_values.values():
        if config:
            yield config


def install() -> None:
    """Make new sessions lazy (idempotent)."""
    SessionState.__init__ = _init  # type: ignore[method-assign]
    SessionState.components = property(_components)  # type: ignore[method-assign,assignment]
