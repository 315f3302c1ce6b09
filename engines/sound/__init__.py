"""Sound: log-mel spectra, a fast Griffin-Lim vocoder, and (to come) a timbre VAE and an RNN."""
