"""Sound: log-mel spectra, a fast Griffin-Lim vocoder, a timbre VAE, and a melody model over note events."""
