"""Words: a small character-level Transformer that writes on after a prompt, and an RNN-VAE over
lines of text whose latent space is walked (morphs) and moved along (sliders).

- `__main__.py`: the command line, `python -m engines.words train | train-lines | measure-lines ...`
- `recipe.py`: training settings (`TrainConfig` for the Transformer, `LinesTrainConfig` for the
  RNN-VAE), their schedules and the pace estimate
- `gpt.py`: the Transformer (KV cache, sampling filters); `rnn_vae.py`: the line RNN-VAE (beam
  search, latent paths); `tokenizer.py`: one id per character
- `data.py`: the Shakespeare corpus and the artist's texts, split by work; verse lines
- `train.py`: the Transformer's training loop; `train_lines.py`: the RNN-VAE's (and its measures)
- `files.py`: Words checkpoints (loading, compact or resumable saves, where a run starts, the
  sentence saying what was saved) and the slider measurements kept beside a line model
- `plan.py`: a time-limited Transformer run picks the shape its budget can train
- `explore.py`: what the studio calls with a loaded model (writing, morphs, sliders, surprises)
- `lines.py`: what each line slider changes and how far it stays readable, measured
- `service.py`: the tab's bounds, recipes and keeping; `runs.py`: a training as the studio runs it
- `replay.py`: remaking outputs from their recipes; `sweep.py`: tables over two settings
"""
