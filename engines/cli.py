"""Command-line options made from a config dataclass, so a CLI flag and the setting it sets cannot
drift: one `--some-field` per field, typed and defaulted from the dataclass itself."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, TypeVar

C = TypeVar("C")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _kind(hint: Any) -> Any:
    """The plain type behind a hint (`float | None` -> float)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else str
    return hint


def add_options(
    parser: argparse.ArgumentParser,
    config: type,
    *,
    skip: tuple[str, ...] = (),
    helps: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
) -> None:
    """Add one option per field of the dataclass `config` (bools get --x / --no-x, tuples take several
    values); `skip` leaves fields out, `helps` adds help text, `defaults` overrides a field's default."""
    hints = typing.get_type_hints(config)
    group = parser.add_argument_group(config.__name__)
    for f in dataclasses.fields(config):
        if f.name in skip or not f.init:
            continue
        if f.name in (defaults or {}):
            default = defaults[f.name]  # type: ignore[index]
        elif f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            default = None
        kind = _kind(hints[f.name])
        text = (helps or {}).get(f.name, "")
        text = f"{text} (default: {default})".strip() if default not in (None, "") else text
        kw: dict[str, Any] = {"default": default, "help": text or None, "dest": f.name}
        if kind is bool:
            group.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, **kw)
        elif typing.get_origin(kind) is tuple:
            args = typing.get_args(kind)
            many = len(args) == 2 and args[1] is Ellipsis
            group.add_argument(_flag(f.name), type=args[0], nargs="*" if many else len(args), **kw)
        else:
            group.add_argument(_flag(f.name), type=kind if kind in (int, float, str) else str, **kw)


def from_args(config: type[C], args: argparse.Namespace, **overrides: Any) -> C:
    """The dataclass `config` built from parsed options (fields the parser lacks keep their defaults)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(config):  # type: ignore[arg-type]
        if not f.init:
            continue
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        elif hasattr(args, f.name):
            value = getattr(args, f.name)
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return config(**values)
