"""Language-model data, models and generation: every held-out token is predicted exactly once."""

import math
from pathlib import Path

import numpy as np
import pytest

from rnnlab.core.errors import DataError, ParamsError, UsageError
from rnnlab.corpora.sheldon import SheldonParams, prepare_sheldon
from rnnlab.tasks.lm.ngram import NgramModel
from rnnlab.tasks.lm.ngram_eval import held_out_nll
from rnnlab.tasks.lm.params import LMSequencesParams, TrainLMParams
from rnnlab.text.lines import split_by_position, split_lines, split_stream
from rnnlab.text.sequences import ngram_prefixes, stream_lines, token_stream
from rnnlab.text.vocab import EOL, OOV_ID, PAD_ID, build_vocab

TEXT = "the cat sat\non the mat\n\nthe dog sat on the cat\nno end here"


def lm_params(**overrides) -> TrainLMParams:
    values = dict(seed=1, embedding_dim=8, mask_zero=False, cell="gru", units=8,
                  bidirectional=False, dropout=0.0, recurrent_dropout=0.0, dense_units=0,
                  optimizer="adam", learning_rate=0.01, clipnorm=None, batch_size=4, epochs=1,
                  patience=1, deterministic=True)
    return TrainLMParams(**(values | overrides))


def test_position_split_keeps_every_character_once():
    table = split_by_position(TEXT, 0.25)
    train, val = split_stream(table, "train"), split_stream(table, "val")
    assert len(train) == int(len(TEXT) * 0.75)
    assert train + val == TEXT  # no newline invented where the cut falls mid-line


def test_block_split_holds_out_whole_blocks():
    text = "".join(f"line {i}\n" for i in range(140))
    table = split_lines(text, block_lines=14, val_fraction=0.1, test_fraction=0.1, seed=3)
    assert table["split"].value_counts().to_dict() == {"train": 112, "val": 14, "test": 14}
    blocks = table.groupby(np.arange(140) // 14)["split"].nunique()
    assert (blocks == 1).all()
    assert split_lines(text, 14, 0.1, 0.1, seed=3).equals(table)  # seeded
    with pytest.raises(ValueError, match="val_fraction \\+ test_fraction"):
        split_lines(text, 14, 0.6, 0.5, seed=3)


def test_sheldon_drops_blank_and_repeated_quotes(tmp_path):
    (tmp_path / "sheldon.txt").write_text("Bazinga!\n\nKnock knock.\nBazinga!\n  \nHello.\n")
    params = SheldonParams(corpus="sheldon", block_lines=1, val_fraction=0.34, test_fraction=0.0,
                           seed=0)
    table = prepare_sheldon(tmp_path, params)
    assert sorted(table["text"]) == ["Bazinga!", "Hello.", "Knock knock."]
    assert (table["split"] == "val").sum() == 1


def test_vocab_reserves_the_end_of_line_token():
    vocab = build_vocab(TEXT.splitlines(), "word", "keras", reserved=[EOL])
    assert vocab.tokens[:3] == ["", "[UNK]", EOL] and vocab.tokens[3] == "the"


def stream_of(text: str, level: str = "word"):
    table = split_by_position(text + "\n", 0.01)  # nearly all in train
    vocab = build_vocab(table["text"], level, "none" if level == "char" else "keras",
                        reserved=[EOL])
    part = table[table["split"] == "train"]
    return token_stream(part["text"].tolist(), part["eol"].tolist(), vocab), vocab


def test_line_prefixes_predict_every_stream_token_once():
    stream, vocab = stream_of(TEXT)
    eol = vocab.index[EOL]
    assert stream[0] == eol and vocab.decode(stream[1:4]) == ["the", "cat", "sat"]
    lines = stream_lines(stream, eol)
    assert all(line[0] == eol for line in lines)
    x, y = ngram_prefixes(lines)
    assert y.tolist() == stream[1:].tolist()
    assert x[0, -1] == eol and (x[0, :-1] == PAD_ID).all()  # the first word, from a line start


def test_held_out_windows_cover_the_stream_once():
    from rnnlab.tasks.lm.data import held_out_windows

    stream = np.arange(1, 24, dtype=np.int32)
    x, y = held_out_windows(stream, 5)
    assert x.shape == (5, 5)
    assert y[y != PAD_ID].tolist() == stream[1:].tolist()
    assert x[y != PAD_ID].tolist() == stream[:-1].tolist()


def test_windows_dataset_shifts_targets_and_knows_its_length():
    from rnnlab.tasks.lm.data import window_count, windows_dataset

    stream = np.arange(3, 103, dtype=np.int32)
    seq = LMSequencesParams(recipe="windows", sentence_size=10, step=5)
    dataset = windows_dataset(stream, seq, batch_size=4, seed=0)
    batches = list(dataset)
    count = window_count(len(stream), 10, 5)
    assert int(dataset.cardinality()) == len(batches) == math.ceil(count / 4)
    assert sum(len(x) for x, _ in batches) == count
    for x, y in batches:
        assert (y.numpy() == x.numpy() + 1).all()
    with pytest.raises(DataError, match="fewer than"):
        windows_dataset(stream[:12], seq, batch_size=4, seed=0)


def test_language_model_shapes_and_refusals():
    from rnnlab.tasks.lm.model import build_language_model

    many = build_language_model(lm_params(), 20, many_to_many=True)
    assert many.output_shape == (None, None, 20)
    course = build_language_model(
        lm_params(cell="simple_rnn", units=[6, 5], bidirectional=[True, False], dropout=0.2,
                  dense_units=10, l2=0.01, mask_zero=True), 20, many_to_many=False)
    assert course.output_shape == (None, 20)
    assert [layer.name for layer in course.layers][2:4] == ["bi_simple_rnn_0", "dropout_0"]
    with pytest.raises(ParamsError, match="see the tokens it must predict"):
        build_language_model(lm_params(bidirectional=True), 20, many_to_many=True)
    with pytest.raises(ValueError, match="lists 2 values for 3 layers"):
        build_language_model(lm_params(cell=["gru"] * 3, units=[4, 4]), 20, many_to_many=True)


def test_sampling_rules():
    from rnnlab.tasks.lm.generate import sample_next

    rng = np.random.default_rng(0)
    logits = np.array([9.0, 9.0, 1.0, 3.0, 2.0])
    assert sample_next(logits, 0.0, 0, rng) == 3  # greedy, padding and [UNK] never produced
    draws = {sample_next(logits, 1.0, 2, rng) for _ in range(200)}
    assert draws == {3, 4}  # top-2 of the producible tokens
    assert {sample_next(logits, 5.0, 0, rng) for _ in range(300)} == {2, 3, 4}


def test_generation_is_reproducible_and_refuses_bad_arguments():
    from rnnlab.tasks.lm.generate import detokenize, generate, model_context, prompt_ids
    from rnnlab.tasks.lm.model import build_language_model

    stream, vocab = stream_of(TEXT)
    model = build_language_model(lm_params(), len(vocab), many_to_many=True)
    start = prompt_ids(vocab, "The CAT")
    eol = vocab.index[EOL]
    assert start == [eol, vocab.index["the"], vocab.index["cat"]]
    assert prompt_ids(vocab, "the zebra")[-1] == OOV_ID
    with pytest.raises(UsageError, match="no token of the prompt"):
        prompt_ids(vocab, "zebra okapi")
    first = generate(model, start, 8, "windows", 5, eol, 0.9, 0, seed=4)
    assert first == generate(model, start, 8, "windows", 5, eol, 0.9, 0, seed=4)
    assert len(first) == len(start) + 8 and OOV_ID not in first[3:] and PAD_ID not in first
    with pytest.raises(UsageError, match="temperature"):
        generate(model, start, 1, "windows", 5, eol, -0.5, 0, seed=4)
    with pytest.raises(UsageError, match="top-k"):
        generate(model, start, 1, "windows", 5, eol, 1.0, len(vocab), seed=4)
    # a prefix model sees only the current line, from its line start, pre-padded
    context = model_context([eol, 5, 6, eol, 7], "prefixes", 4, eol)
    assert context.tolist() == [[0, 0, eol, 7]]
    assert model_context([eol, 5, eol], "prefixes", 3, eol).tolist() == [[0, 0, eol]]
    assert detokenize(vocab, [vocab.index["the"], eol, vocab.index["cat"]]) == "the\ncat"


def test_ngram_held_out_loss_counts_the_same_tokens_as_the_rnn():
    tokens = "a b a c EOL a b EOL".split()
    model = NgramModel(2, "kneser_ney").fit([tokens])
    held = "EOL a c b EOL".split()
    expected = [model.logprob(held[i], held[max(0, i - 1): i]) for i in range(1, len(held))]
    assert held_out_nll(model, held) == pytest.approx(-sum(expected) / len(expected), rel=1e-12)


def test_cli_score_and_generate_refuse_bad_input(tmp_path):
    from rnnlab import cli

    with pytest.raises(SystemExit, match="rnnlab score: error: .*no n-gram model"):
        cli.main(["score", "--task", "sonnets", "--models", str(tmp_path), "hello"])
    with pytest.raises(SystemExit, match="rnnlab generate: error: .*no trained model"):
        cli.main(["generate", "--task", "sonnets", "--models", str(tmp_path)])
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "ngram").mkdir()
    (tmp_path / "ngram" / "x.npz").write_bytes(b"")
    with pytest.raises(SystemExit, match="bad.txt: not UTF-8 text"):
        cli.main(["score", "--task", "x", "--models", str(tmp_path), "--file",
                  str(Path(tmp_path) / "bad.txt")])
