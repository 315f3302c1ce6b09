"""Paint evaluation: picture quality in lite0 feature space (quality) and a pixel-trained class
probe (pixel_probe). Bench and tests read these; the engine itself never imports them."""
