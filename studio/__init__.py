"""Atelier's browser UI: one module per tab, layout and event wiring only; models live in engines/."""
