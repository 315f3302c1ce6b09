"""Atelier's model layer: generative engines plus the shared plumbing they use.

Nothing under this package imports gradio; every public function takes and returns plain
Python, numpy, PIL or torch objects, so engines work from a notebook or a script as well as
from the studio UI.
"""

__version__ = "0.1.0"
