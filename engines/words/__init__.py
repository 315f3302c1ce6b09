"""Words: a small character-level Transformer and an RNN-VAE over lines of text."""
