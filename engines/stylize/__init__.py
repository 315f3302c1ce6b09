"""Stylize: neural style transfer (a fast arbitrary-style network and Gatys optimisation) and
CNN dreams, over pretrained feature networks that ship with the pip install."""
