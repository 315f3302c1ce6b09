"""Pretrained feature networks shared by engines (style losses, dreams, perceptual metrics)."""
