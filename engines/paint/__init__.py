"""Paint: a class-conditional DCGAN-family image generator, its exploration tools and training."""
