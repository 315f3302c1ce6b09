"""Words engine: tokenizer, causal Transformer, KV cache and sampling filters, both training loops
(resuming, compact files, fine-tuning), the line model and the explore layer."""

import pytest
import torch

from engines.words.gpt import GPT, GPTConfig, filter_top_p, sample_next
from engines.words.tokenizer import UNKNOWN, CharTokenizer

TINY = GPTConfig(vocab_size=20, block_size=32, n_layer=2, n_head=2, n_embd=32, dropout=0.0)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread while these tests run: on a machine shared by several processes, two
    OpenMP threads spin-wait on each other and small steps run many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_tokenizer_round_trip_and_unknown_characters():
    tok = CharTokenizer.from_text("to be or not to be")
    assert tok.decode(tok.encode("not to be")) == "not to be"
    assert tok.encode("bez")[-1] == 0 and tok.decode(tok.encode("bez")) == "be" + UNKNOWN
    assert tok.unknown_in("bez!") == ["!", "z"]
    again = CharTokenizer.from_dict(tok.to_dict())
    assert again.chars == tok.chars and again.vocab_size == len(set("to be or not to be")) + 1


def test_causal_mask_future_tokens_do_not_change_past_logits():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    a = torch.randint(0, 20, (1, 12))
    b = a.clone()
    b[0, 8:] = torch.randint(0, 20, (4,))
    la, _, _ = model(a)
    lb, _, _ = model(b)
    assert torch.allclose(la[0, :8], lb[0, :8], atol=1e-6)
    assert not torch.allclose(la[0, 8:], lb[0, 8:])


def test_kv_cache_logits_equal_full_recomputation():
    torch.manual_seed(1)
    model = GPT(TINY).eval()
    ids = torch.randint(0, 20, (1, 10))
    full, _, _ = model(ids)
    _, _, cache = model(ids[:, :6])
    steps = []
    for t in range(6, 10):
        logits, _, cache = model(ids[:, t : t + 1], cache=cache)
        steps.append(logits[0, -1])
    assert torch.allclose(torch.stack(steps), full[0, 6:10], atol=1e-5)


def test_kv_cache_sampling_equals_full_recomputation_for_a_seed():
    torch.manual_seed(2)
    model = GPT(TINY).eval()
    prompt = torch.randint(0, 20, (1, 5))
    kw = dict(temperature=0.9, top_k=10, top_p=0.9)
    with_cache = list(model.stream(prompt, 20, generator=torch.Generator().manual_seed(7), **kw))
    without = list(model.stream(prompt, 20, generator=torch.Generator().manual_seed(7), use_cache=False, **kw))
    assert with_cache == without


def test_stream_slides_past_the_context_window():
    model = GPT(TINY).eval()
    out = list(model.stream(torch.zeros(1, 30, dtype=torch.long), 50, generator=torch.Generator().manual_seed(0)))
    assert len(out) == 50 and all(0 <= i < 20 for i in out)


def test_top_p_keeps_the_smallest_set_over_p():
    probs = torch.tensor([0.05, 0.5, 0.1, 0.3, 0.05])
    kept = filter_top_p(probs, 0.75)
    assert (kept > 0).tolist() == [False, True, False, True, False]  # 0.5 + 0.3 >= 0.75
    assert torch.isclose(kept.sum(), torch.tensor(1.0))
    assert (filter_top_p(probs, 0.5) > 0).sum() == 1  # the top token alone reaches 0.5
    assert (filter_top_p(probs, 0.81) > 0).sum() == 3


def test_greedy_top_k_and_repetition_penalty():
    logits = torch.tensor([1.0, 3.0, 2.0])
    assert sample_next(logits, [], temperature=0) == 1
    assert sample_next(logits, [1], temperature=0, repetition_penalty=2.0) == 2  # 3/2 < 2
    gen = torch.Generator().manual_seed(0)
    picks = {sample_next(logits, [], temperature=1.0, top_k=1, generator=gen) for _ in range(20)}
    assert picks == {1}


def test_too_long_context_is_refused():
    with pytest.raises(ValueError, match="exceeds"):
        GPT(TINY)(torch.zeros(1, 40, dtype=torch.long))


# ---------------------------------------------------------------- training
def _corpus():
    from engines.words.data import split_by_work

    line = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate.\n"
    return split_by_work([("sonnet", line * 60)])


def test_a_few_training_steps_lower_the_loss_and_resume(tmp_path):
    from engines.words.files import load_gpt
    from engines.words.recipe import TrainConfig
    from engines.words.train import train_gpt

    cfg = GPTConfig(block_size=32, n_layer=1, n_head=2, n_embd=32, dropout=0.0)
    events = list(
        train_gpt(
            _corpus(),
            tmp_path / "w.pt",
            cfg,
            TrainConfig(steps=60, batch=16, eval_every=20, lr=3e-3, warmup=5, eval_batches=4),
            device="cpu",
        )
    )
    vals = [e.losses["held-out"] for e in events if "held-out" in e.losses]
    assert vals[-1] < vals[0] - 0.3 and events[-1].done and events[-1].preview
    assert [step for step, _ in events[-1].history] == [20, 40, 60] and events[-1].eta_s == 0
    model, tok, ck = load_gpt(tmp_path / "w.pt")
    assert ck.meta["steps"] == 60 and tok.decode(tok.encode("Shall")) == "Shall"
    again = list(
        train_gpt(
            _corpus(),
            tmp_path / "w.pt",
            None,
            TrainConfig(steps=80, batch=16, eval_every=20, eval_batches=4),
            device="cpu",
        )
    )
    assert again[0].message == "resumed at step 60" and again[-1].step == 80
    assert [step for step, _ in again[-1].history] == [20, 40, 60, 80]  # the plot goes on where it was


def test_texts_that_cannot_be_used_are_refused(tmp_path):
    from engines.words.data import read_text_file, user_corpus

    (tmp_path / "short.txt").write_text("too short")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") * 1000)
    with pytest.raises(ValueError, match="at least 2,000"):
        user_corpus([tmp_path / "short.txt"])
    with pytest.raises(ValueError, match="binary"):
        read_text_file(tmp_path / "bin.txt")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_text_file(tmp_path / "latin1.txt")


# ---------------------------------------------------------------- RNN-VAE
LINES = [
    "the rose is red",
    "the sky is blue",
    "a cat sat down",
    "my love is true",
    "the sun is up",
    "a dog ran off",
    "the sea is wide",
    "my heart is glad",
    "the moon is low",
    "a bird flew by",
    "the rain is cold",
    "the wind is wild",
]


def test_vae_homotopy_endpoints_decode_near_the_inputs(tmp_path):
    from engines.words.files import load_vae
    from engines.words.recipe import LinesTrainConfig
    from engines.words.rnn_vae import VAEConfig, ids_to_text, lerp, lines_to_ids, slerp_path
    from engines.words.train_lines import train_lines, vae_metrics

    torch.manual_seed(0)
    cfg = VAEConfig(embed=16, hidden=64, latent=8, max_len=24)
    events = list(
        train_lines(
            LINES * 8,
            LINES,
            tmp_path / "v.pt",
            cfg,
            LinesTrainConfig(steps=400, batch=24, eval_every=200, lr=1e-2, word_dropout=0.1, kl_ramp=0.5),
            device="cpu",
        )
    )
    assert events[-1].done and set(events[-1].losses) == {"train", "held-out KL"}
    model, tok, _ = load_vae(tmp_path / "v.pt")
    metrics = vae_metrics(model, tok, LINES)
    assert metrics["recon_char_acc"] >= 0.6 and metrics["recon_char_acc_greedy"] >= 0.6
    ids, lengths = lines_to_ids(tok, [LINES[0], LINES[1]], cfg.max_len)
    mu, _ = model.encode(ids, lengths)
    for path in (lerp(mu[0], mu[1], 5), slerp_path(mu[0], mu[1], 5)):
        assert torch.allclose(path[0], mu[0], atol=1e-5) and torch.allclose(path[-1], mu[1], atol=1e-4)
        texts = [ids_to_text(tok, ids_) for ids_ in model.generate(path)]
        first_acc = sum(a == b for a, b in zip(texts[0], LINES[0])) / len(LINES[0])
        last_acc = sum(a == b for a, b in zip(texts[-1], LINES[1])) / len(LINES[1])
        assert first_acc >= 0.6 and last_acc >= 0.6

    # fine-tuning keeps the model's own KL weight and dropout, starts at full KL weight, keeps the lines
    from engines.checkpoints import load
    from engines.words.recipe import finetune_config

    ft = finetune_config(tmp_path / "v.pt", steps=60, batch=24, eval_every=60)
    assert (ft.kl_ramp, ft.kl_weight, ft.word_dropout, ft.steps) == (0.0, 1.0, 0.1, 60)
    list(train_lines(LINES * 8, LINES, tmp_path / "ft.pt", cfg=ft, device="cpu", init_from=tmp_path / "v.pt"))
    tuned, tok2, ck = load_vae(tmp_path / "ft.pt")
    assert ck.meta["lineage"][0]["steps"] == load(tmp_path / "v.pt").meta["steps"] == 400
    assert vae_metrics(tuned, tok2, LINES)["recon_char_acc"] >= 0.6


def test_beam_search_finds_likelier_lines_than_greedy_and_one_beam_is_greedy():
    from engines.words.rnn_vae import RNNVAE, VAEConfig

    torch.manual_seed(3)
    model = RNNVAE(VAEConfig(vocab_size=12, embed=8, hidden=16, latent=4, max_len=10)).eval()
    z = torch.randn(6, 4)
    assert model.beam_search(z, beams=1) == model.generate(z)

    def logprob(zs: torch.Tensor, seqs: list[list[int]]) -> torch.Tensor:
        from engines.words.rnn_vae import BOS, EOS, PAD

        rows = [[BOS] + s + [EOS] for s in seqs]
        ids = torch.full((len(rows), max(map(len, rows))), PAD)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
        logits = model.decode_logits(zs, ids[:, :-1])
        logits[..., [BOS, PAD]] = -float("inf")
        lp = logits.log_softmax(-1).gather(2, ids[:, 1:, None])[..., 0]
        return lp.masked_fill(ids[:, 1:] == PAD, 0).sum(1)

    greedy, beam = model.generate(z), model.beam_search(z, beams=5)
    finished = [i for i, s in enumerate(greedy) if len(s) < model.cfg.max_len]  # greedy lines that ended
    assert finished
    zs = z[finished]
    assert (logprob(zs, [beam[i] for i in finished]) >= logprob(zs, [greedy[i] for i in finished]) - 1e-4).all()


# ---------------------------------------------------------------- the explore layer
@pytest.fixture(scope="module")
def tiny_writer(tmp_path_factory):
    from engines.words import explore
    from engines.words.recipe import TrainConfig
    from engines.words.train import train_gpt

    path = tmp_path_factory.mktemp("w") / "w.pt"
    cfg = GPTConfig(block_size=32, n_layer=1, n_head=2, n_embd=32, dropout=0.0)
    list(
        train_gpt(
            _corpus(),
            path,
            cfg,
            TrainConfig(steps=40, batch=16, eval_every=40, lr=3e-3, warmup=5, eval_batches=2),
            device="cpu",
        )
    )
    return explore.load_writer(path)


def test_prompts_are_made_safe_with_notes(tiny_writer):
    from engines.words import explore

    empty = explore.prepare_prompt(tiny_writer, "   ")
    assert empty.text == "\n" and "blank line" in empty.notes[0]
    odd = explore.prepare_prompt(tiny_writer, "Shall 🌹")
    assert odd.ids[-1] == 0 and "never saw" in odd.notes[0]
    long = explore.prepare_prompt(tiny_writer, "Shall I " * 50)
    assert len(long.ids) < 32 and any("reads the last" in n for n in long.notes)


def test_stream_is_seeded_chunked_and_stops_before_a_stop_sequence(tiny_writer):
    from engines.words import explore

    chunks = list(explore.stream(tiny_writer, "Shall", 60, temperature=1.0, seed=3))
    text = "".join(chunks)
    assert (
        len(text) == 60
        and len(chunks) > 3
        and text == explore.write(tiny_writer, "Shall", length=60, temperature=1.0, seed=3)
    )
    stop = text[20:22]
    cut = explore.write(tiny_writer, "Shall", length=60, temperature=1.0, seed=3, stop=[stop])
    assert cut == text[: text.find(stop)] and stop not in cut
    with pytest.raises(ValueError, match="length"):
        explore.write(tiny_writer, "Shall", length=0)


def test_line_model_morph_sliders_and_surprise(tmp_path):
    from engines.words import explore
    from engines.words.recipe import LinesTrainConfig
    from engines.words.rnn_vae import VAEConfig
    from engines.words.train_lines import train_lines

    torch.manual_seed(0)
    list(
        train_lines(
            LINES * 8,
            LINES,
            tmp_path / "v.pt",
            VAEConfig(embed=16, hidden=64, latent=8, max_len=24),
            LinesTrainConfig(steps=400, batch=24, eval_every=400, lr=1e-2, word_dropout=0.1, kl_ramp=0.5),
            device="cpu",
        )
    )
    m = explore.load_line_model(tmp_path / "v.pt")
    assert m.directions.shape == (8, 8) and (m.std[:-1] >= m.std[1:]).all()  # ordered by spread
    poem = explore.morph(m, LINES[0], LINES[1], steps=5)
    assert len(poem) == 5
    assert sum(a == b for a, b in zip(poem[0], LINES[0])) >= 0.6 * len(LINES[0])
    z = explore.encode_line(m, LINES[2])
    assert explore.latent(m, z.tolist(), [0.0] * 8).allclose(z)
    assert explore.latent(m, z.tolist(), [2.0]).sub(z).norm() > 0
    assert isinstance(explore.decode(m, explore.surprise(m, 5)[None])[0], str)
    with pytest.raises(ValueError, match="up to 22"):
        explore.encode_line(m, "x" * 40)
    with pytest.raises(ValueError, match="line of text"):
        explore.morph(m, "  ", LINES[1])
