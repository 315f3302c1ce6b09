"""A new visitor session without a copy of the whole page.

For every new session gradio computes the configuration of every component on the page (713 in
Atelier) and keeps it, only so that a "deep link" could save the page's state later. That costs
tens of milliseconds of CPU and about 1.2 MB per session: every plain-HTTP API call is a new session,
and on a shared studio visitors' sessions pile up. Atelier has no deep links; the entries are made
when something asks for them instead. Likewise every call recorded its inputs' and outputs' new values
by building those components' configuration (16 of them for a Paint slider move, about a tenth of the
call's CPU); the values are now kept as they are and put into the configuration when it is asked for.
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
    self._new_values: dict[int, Any] = {}  # type: ignore[attr-defined]


def _record_value(self: SessionState, key: int, value: Any) -> None:
    """A component's new value in this session, kept until its configuration is asked for."""
    self._new_values[key] = value  # type: ignore[attr-defined]


def _components(self: SessionState) -> Iterator[dict]:
    """Every component's configuration in this session, with the values its calls gave them."""
    page = getattr(self, "_page_blocks", {})
    for key, block in self.blocks_config.blocks.items():
        if key in page and key not in self.config_values:
            self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
    for key, value in getattr(self, "_new_values", {}).items():
        config = self.config_values.get(key)
        if config and "props" in config:
            config["props"]["value"] = value
    for config in self.config_values.values():
        if config:
            yield config


def install() -> None:
    """Make new sessions lazy (idempotent)."""
    SessionState.__init__ = _init  # type: ignore[method-assign]
    SessionState._update_value_in_config = _record_value  # type: ignore[method-assign]
    SessionState.components = property(_components)  # type: ignore[method-assign,assignment]
