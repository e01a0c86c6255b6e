"""Portuguese–English: Anki parsing, the leak-free split, vocabularies, models, decoding, scores."""

import dataclasses
import itertools
import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.core.errors import DataError
from rnnlab.core.params import from_mapping
from rnnlab.corpora.por_eng import (
    PorEngParams,
    clean_pairs,
    grouped_split,
    prepare_por_eng,
    read_anki,
)
from rnnlab.tasks.translate import data, decode, score
from rnnlab.tasks.translate.data import END, START
from rnnlab.tasks.translate.model import build_translator
from rnnlab.tasks.translate.params import TranslationTrainParams
from rnnlab.text.tokenize import normalize_sentence

PAIRS = [  # (English, Portuguese): two translations of one sentence, a duplicate, a long pair
    ("I like to read books.", "Eu gosto de ler livros."),
    ("I like reading books.", "Eu gosto de ler livros."),
    ("He has a black cat.", "Ele tem um gato preto."),
    ("He has a black cat.", "Ele tem um gato preto."),
    ("She's eating bread.", "Ela está comendo pão."),
    ("We're going home now.", "Nós vamos para casa agora."),
    ("The dog is very big and it barks a lot.", "O cachorro é muito grande e late muito."),
]


def write_anki(folder, pairs=PAIRS):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{en}\t{pt}\tCC-BY 2.0 (France) Attribution: tatoeba.org #{i}\n"
             for i, (en, pt) in enumerate(pairs)]
    (folder / "por.txt").write_text("".join(lines), encoding="utf-8")
    return folder


def prepare_params(**overrides):
    values = dict(corpus="por_eng", val_fraction=0.25, test_fraction=0.25, seed=1, max_words=6)
    return PorEngParams(**(values | overrides))


@pytest.mark.parametrize("raw, expected", [
    ("Eu gosto de ler livros!", "eu gosto de ler livros"),
    ("I'm  tired.", "im tired"),  # apostrophes deleted, as in the mirrored subset ("youve")
    ("Um copo d'água, por favor?", "um copo dágua por favor"),
    ("Mordeu-lhe a perna.", "mordeulhe a perna"),
    ("AÇÃO\té «boa»", "ação é boa"),
    ("<start> ?!", "start"),  # START and END can never come out of normalisation
])
def test_normalize_sentence(raw, expected):
    assert normalize_sentence(raw) == expected


def test_normalize_sentence_composes_accents():
    assert normalize_sentence("Na\u0303o") == "não"


def test_read_anki_refuses_a_line_without_a_tab(tmp_path):
    (tmp_path / "por.txt").write_text("I run.\tEu corro.\tx\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"por\.txt:2: expected English<TAB>Portuguese"):
        read_anki(tmp_path / "por.txt")


def test_read_anki_refuses_non_utf8_naming_the_line(tmp_path):
    (tmp_path / "por.txt").write_bytes(b"I run.\tEu corro.\n\nGo.\tV\xe1.\n")
    with pytest.raises(ValueError, match=r"por\.txt:3: not UTF-8"):
        read_anki(tmp_path / "por.txt")


def test_read_anki_missing_file_says_to_download(tmp_path):
    with pytest.raises(DataError, match="run the download stage"):
        read_anki(tmp_path / "por.txt")


def test_clean_pairs_normalises_dedupes_and_drops_long_pairs(tmp_path):
    pairs, counts = clean_pairs(read_anki(write_anki(tmp_path) / "por.txt"), max_words=6)
    assert counts == {"lines": 7, "empty_dropped": 0, "too_long_dropped": 1,
                      "duplicates_dropped": 1, "pairs": 5, "source_sentences": 4}
    assert pairs["target"].tolist()[:3] == ["i like to read books", "i like reading books",
                                            "he has a black cat"]
    assert pairs["id"].tolist()[:3] == ["por.txt:1", "por.txt:2", "por.txt:3"]


def test_grouped_split_never_shares_a_source_between_splits():
    rng = np.random.default_rng(0)
    sources = pd.Series([f"frase {i}" for i in rng.integers(0, 200, size=1000)])
    split = grouped_split(sources, 0.1, 0.1, seed=3)
    per_source = pd.DataFrame({"s": sources, "split": split}).groupby("s")["split"].nunique()
    assert per_source.max() == 1
    groups = pd.Series(split).groupby(sources.to_numpy()).first().value_counts()
    n = sources.nunique()
    assert groups["test"] == round(n * 0.1) and groups["val"] == round(n * 0.1)
    assert (grouped_split(sources, 0.1, 0.1, seed=3) == split).all()
    assert not (grouped_split(sources, 0.1, 0.1, seed=4) == split).all()


@pytest.mark.parametrize("val, test", [(0.0, 0.1), (0.5, 0.5), (0.1, 1.0)])
def test_grouped_split_refuses_bad_fractions(val, test):
    with pytest.raises(ValueError, match="val_fraction and test_fraction"):
        grouped_split(pd.Series(["a", "b", "c"]), val, test, seed=0)


def test_prepare_por_eng_keeps_translations_of_a_sentence_together(tmp_path):
    table = prepare_por_eng(write_anki(tmp_path), prepare_params())
    assert list(table.columns) == ["id", "text", "target", "split"]
    assert set(table["split"]) == {"train", "val", "test"}
    assert table.groupby("text")["split"].nunique().max() == 1
    same = table[table["text"] == "eu gosto de ler livros"]
    assert len(same) == 2


def test_prepare_por_eng_refuses_bad_max_words(tmp_path):
    with pytest.raises(ValueError, match="max_words"):
        prepare_por_eng(write_anki(tmp_path), prepare_params(max_words=0))


# -- vocabularies, arrays, scores (no model) ---------------------------------------------------

def train_params(**overrides) -> TranslationTrainParams:
    """Checked as the params stage checks an entry; `attention=None` drops the key for a `basic`
    model (as `attention: null` does in params.yaml)."""
    values = dict(data="toy", seed=0, architecture="attention", attention="luong", cell="gru",
                  bidirectional=True, embedding_dim=8, units=8, dropout=0.0,
                  max_tokens_source=None, max_tokens_target=None, min_freq=1, optimizer="adam",
                  learning_rate=0.01, clipnorm=None, batch_size=8, epochs=1, patience=1,
                  deterministic=False)
    return from_mapping(TranslationTrainParams, values | overrides, "test")


TOY = pd.DataFrame({
    "text": ["eu gosto de gatos", "ele tem um gato", "nós temos um cão", "ela gosta de cães",
             "eu tenho um gato", "tu gostas de gatos"],
    "target": ["i like cats", "he has a cat", "we have a dog", "she likes dogs", "i have a cat",
               "you like cats"],
    "split": ["train", "train", "train", "train", "val", "test"],
})


def test_vocabularies_come_from_training_pairs_and_have_start_and_end():
    source, target = data.build_vocabs(TOY[TOY["split"] == "train"], train_params())
    assert "tenho" not in source.index and "gosto" in source.index  # "tenho" is only in val
    assert {START, END} <= set(target.index)
    assert source.tokens[:2] == ["", "[UNK]"] and target.tokens[:2] == ["", "[UNK]"]


def test_arrays_shift_the_target_by_one_and_mask_padding():
    source, target = data.build_vocabs(TOY, train_params())
    (x, t_in), t_out, weights = data.arrays(TOY.iloc[:2], source, target)
    start, end = target.index[START], target.index[END]
    assert x.shape == (2, 4) and t_in.shape == t_out.shape == (2, 5)
    assert (t_in[:, 0] == start).all() and (t_in[:, 1:] == t_out[:, :-1]).sum() >= 6
    assert t_out[0].tolist() == target.encode("i like cats") + [end, 0]
    assert weights[0].tolist() == [1, 1, 1, 1, 0]


def test_corpus_scores_accept_a_varying_number_of_references():
    references = [["i like cats", "i love cats"], ["he has a black cat"]]
    perfect = score.corpus_scores(["i love cats", "he has a black cat"], references)
    assert perfect == {"bleu": 100.0, "chrf": 100.0}
    worse = score.corpus_scores(["i love dogs", "he has a cat"], references)
    assert worse["bleu"] < 100.0 and worse["chrf"] < 100.0


def test_references_by_source_groups_every_translation():
    table = pd.DataFrame({"text": ["a b", "c d", "a b"], "target": ["x", "y", "z"]})
    assert score.references_by_source(table) == (["a b", "c d"], [["x", "z"], ["y"]])


def test_retrieval_baseline_takes_the_pair_sharing_most_words():
    train = TOY[TOY["split"] == "train"]
    assert score.retrieval_baseline(train, ["ele tem um cão", "eu gosto de cães"]) == [
        "he has a cat", "i like cats"]


# -- models and decoding ----------------------------------------------------------------------

def save_toy_model(folder, params, train_epochs=0, repeats=1, pairs=TOY, weight_seed=None):
    """A (briefly trained) model saved the way the train stage saves one; `repeats` copies of
    the toy pairs make an epoch (fewer, longer epochs: Keras has a fixed cost per epoch).
    `weight_seed`: every weight drawn from N(0, 2²) by NumPy instead, so the model is fixed by
    the test whatever Keras' initializers do, and its next-word distributions are peaked."""
    from rnnlab.core.model_folder import save_model_folder
    from rnnlab.tasks.fit import set_seeds

    set_seeds(params.seed, False)
    source, target = data.build_vocabs(pairs, params)
    model = build_translator(params, len(source), len(target))
    if weight_seed is not None:
        rng = np.random.default_rng(weight_seed)
        model.set_weights([rng.normal(0.0, 2.0, w.shape).astype(w.dtype)
                           for w in model.get_weights()])
    if train_epochs:
        (source_ids, target_in), target_out, weights = data.arrays(pairs, source, target)
        copies = [np.concatenate([a] * repeats) for a in (source_ids, target_in, target_out,
                                                         weights)]
        model.fit(copies[:2], copies[2], sample_weight=copies[3], epochs=train_epochs,
                  verbose=0, batch_size=8)
    save_model_folder(folder, model, "translate",
                      {"params": dataclasses.asdict(params), "max_source_words": 4,
                       "epochs_run": 1},
                      {"source_vocab.json": source, "target_vocab.json": target})
    return model


CONFIGS = [
    dict(architecture="basic", attention=None, bidirectional=False),
    dict(architecture="attention", attention="luong"),
    dict(architecture="attention", attention="bahdanau", cell="lstm"),
    dict(architecture="attention", attention="bahdanau", bidirectional=False),
    dict(architecture="basic", attention=None, cell="lstm", bidirectional=True),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_step_decoder_reproduces_the_teacher_forced_model(tmp_path, config):
    """One decoder step at a time, from a saved and reloaded model, gives the training model's
    logits: the decoding models share its layers and its source padding mask."""
    save_toy_model(tmp_path, train_params(**config))
    translator = decode.Translator(tmp_path)
    pairs = TOY.iloc[[0, 1]]  # sources of 4 words; one padded to 6 below
    (x, t_in), _, _ = data.arrays(pairs, translator.source, translator.target)
    x = np.pad(x, ((0, 0), (0, 2)))
    x[1, 4:] = 0
    full = np.asarray(translator.model.predict_on_batch([x, t_in]))
    encoded, *states = translator.encoder.predict_on_batch(x)
    for t in range(t_in.shape[1]):
        logits, *states = translator.step.predict_on_batch([t_in[:, t: t + 1], *states, encoded,
                                                            x != 0])
        real = t_in[:, t] != 0  # padded decoder positions are masked out of the loss anyway
        np.testing.assert_allclose(np.asarray(logits)[real, 0], full[real, t], atol=1e-4)


def test_beam_of_one_is_greedy_and_wider_beams_stay_bounded(tmp_path):
    save_toy_model(tmp_path, train_params(), train_epochs=1)
    translator = decode.Translator(tmp_path)
    texts = TOY["text"].tolist()
    greedy = translator.translate(texts, 1, 1.0, max_output_len=7, max_input_words=10)
    assert translator.translate(texts, 1, 0.0, 7, 10) == greedy
    for beam in (2, 4):
        out = translator.translate(texts, beam, 0.6, max_output_len=3, max_input_words=10)
        assert len(out) == len(texts) and all(len(t.split()) <= 3 for t in out)
        assert not any(token in t for t in out for token in (START, END,
                                                             "[UNK]"))


@pytest.mark.slow
def test_trained_toy_translator_translates_its_training_sentences(tmp_path):
    params = train_params(embedding_dim=16, units=16)
    save_toy_model(tmp_path, params, train_epochs=6, repeats=60)  # 270 steps of 8
    translator = decode.Translator(tmp_path)
    train = TOY[TOY["split"] == "train"]
    for beam in (1, 3):
        assert translator.translate(train["text"].tolist(), beam, 1.0, 10, 10) == \
            train["target"].tolist()
    # mixed case and punctuation are normalised as the training data was
    assert translator.translate(["Eu GOSTO de gatos!!"], 3, 1.0, 10, 10) == ["i like cats"]


# -- beam search against exhaustive search ----------------------------------------------------

TINY = pd.DataFrame({  # a target vocabulary of four words: "", [UNK], <start>, <end>, a b c d
    "text": ["um dois", "dois tres quatro", "tres", "quatro um dois tres"],
    "target": ["a b", "b c d", "c", "d a b c"],
})
# sixteen sources of 1 to 4 words (source ids 2-5), post-padded as `encode_texts` pads them
TINY_X = np.array([[5, 4, 4, 3], [3, 0, 0, 0], [2, 5, 4, 0], [4, 4, 5, 0], [4, 4, 4, 5],
                   [3, 5, 4, 0], [3, 5, 0, 0], [5, 4, 0, 0], [2, 5, 0, 0], [2, 3, 0, 0],
                   [3, 2, 2, 0], [2, 4, 4, 4], [3, 0, 0, 0], [3, 5, 5, 5], [3, 4, 5, 0],
                   [5, 4, 0, 0]], dtype=np.int32)


def step_log_probs(translator, x, max_len, words):
    """{(sentence, prefix): log-probabilities of the next token} for every prefix of fewer than
    `max_len` words, each prefix run from START through the translator's own encoder and
    one-step decoder (`_step` masks PAD, OOV and START), one batch per prefix length."""
    from scipy.special import log_softmax

    encoded, *states = translator.encoder.predict_on_batch(x)
    encoded, states, mask = np.asarray(encoded), [np.asarray(s) for s in states], x != 0
    sentence, prefixes = np.arange(len(x)), [()] * len(x)
    previous = np.full(len(x), translator.start_id, dtype=np.int32)
    table = {}
    for _ in range(max_len):
        logits, states = translator._step(previous, states, encoded[sentence], mask[sentence])
        for row, log_probs in enumerate(log_softmax(logits, axis=1)):
            table[sentence[row], prefixes[row]] = log_probs
        rows = np.repeat(np.arange(len(prefixes)), len(words))  # every prefix, one word longer
        prefixes = [prefixes[r] + (w,) for r in range(len(prefixes)) for w in words]
        sentence, states = sentence[rows], [s[rows] for s in states]
        previous = np.tile(np.asarray(words, dtype=np.int32), len(rows) // len(words))
    return table


def every_hypothesis(log_probs, s, max_len, words, end, alpha, extra=(1, 0)):
    """(score, words) of every output `_beam` can return for sentence `s`, best first: a
    hypothesis of t words that then emits END scores (sum of the t + 1 log-probabilities,
    END's included) / (t + 1) ** alpha; one cut off at max_len words without END scores
    (sum of its max_len log-probabilities) / max_len ** alpha. `extra`: what is added to the
    number of words to make the length of each kind, (1, 0) as `_beam` counts."""
    out = []
    for t in range(max_len + 1):
        for prefix in itertools.product(words, repeat=t):
            total = sum(log_probs[s, prefix[:i]][prefix[i]] for i in range(t))
            if t < max_len:
                total += log_probs[s, prefix][end]
            length = max(t + extra[0] if t < max_len else t + extra[1], 1)
            out.append((total / length ** alpha, list(prefix)))
    return sorted(out, key=lambda h: -h[0])


@pytest.mark.parametrize("config, weight_seed", [  # seeds that make every check below bite
    (dict(architecture="basic", attention=None, cell="lstm", bidirectional=False), 4),
    (dict(architecture="attention", attention="bahdanau", cell="lstm", bidirectional=True), 27),
], ids=["basic-lstm", "bahdanau-lstm-bi"])
def test_beam_search_finds_the_exhaustive_best_and_a_beam_of_one_is_greedy(tmp_path, config,
                                                                           weight_seed):
    save_toy_model(tmp_path, train_params(**config), pairs=TINY, weight_seed=weight_seed)
    translator = decode.Translator(tmp_path)
    assert translator.target.tokens[:2] == ["", "[UNK]"] and len(translator.target) == 8
    words = [i for i in range(len(translator.target))
             if i not in (0, 1, translator.start_id, translator.end_id)]  # a, b, c, d
    max_len = 3
    log_probs = step_log_probs(translator, TINY_X, max_len, words)
    assert len(log_probs) == len(TINY_X) * (1 + 4 + 16)
    for vector in log_probs.values():  # PAD, OOV and START can never come next
        assert np.isneginf(vector[[0, 1, translator.start_id]]).all()
        assert np.isfinite(vector[[*words, translator.end_id]]).all()
    # 1 + 4 + 16 hypotheses end with END and 64 are cut off at 3 words. A beam of 64 drops
    # none: at most 4³ = 64 are ever live, its 2 · 64 candidates cover the 16 · 5 of the last
    # step, and with only 21 that end in END no sentence has 64 finished ones and stops early;
    # so it must return the exhaustive best
    exhaustive = {}
    for alpha in (0.0, 1.0):
        ranked = [every_hypothesis(log_probs, s, max_len, words, translator.end_id, alpha)
                  for s in range(len(TINY_X))]
        assert all(len(r) == 85 and r[0][0] - r[1][0] > 1e-3 for r in ranked)  # no near-tie
        exhaustive[alpha] = [r[0][1] for r in ranked]
        assert translator._beam(TINY_X, 64, alpha, max_len) == exhaustive[alpha]
        # and through translate_ids, in eight batches of two sentences (128 // 64)
        assert translator.translate_ids(TINY_X, 64, alpha, max_len, batch_size=128) == [
            " ".join(translator.target.decode(ids)) for ids in exhaustive[alpha]]

    # greedy by hand: the most probable next token after each prefix, until END or 3 words
    by_hand = []
    for s in range(len(TINY_X)):
        prefix = ()
        while len(prefix) < max_len:
            token = int(np.argmax(log_probs[s, prefix]))
            if token == translator.end_id:
                break
            prefix += (token,)
        by_hand.append(list(prefix))
    assert translator._greedy(TINY_X, max_len) == by_hand
    for alpha in (0.0, 1.0):
        assert translator._beam(TINY_X, 1, alpha, max_len) == by_hand
        assert translator.translate_ids(TINY_X, 1, alpha, max_len) == [
            " ".join(translator.target.decode(ids)) for ids in by_hand]
    # the weights are chosen so that the checks above can fail: the exhaustive best is not
    # always the greedy answer, the length penalty changes the winner of some sentence, and so
    # would counting lengths otherwise (END left out, or a cut-off hypothesis counted as if
    # END followed it), so a beam counting them wrongly would return another answer
    assert exhaustive[1.0] != by_hand
    assert exhaustive[0.0] != exhaustive[1.0]
    for extra in [(0, 0), (1, 1)]:
        assert exhaustive[1.0] != [
            every_hypothesis(log_probs, s, max_len, words, translator.end_id, 1.0, extra)[0][1]
            for s in range(len(TINY_X))]


@pytest.mark.parametrize("text, message", [
    ("  ?! ", "text 1 is empty after normalisation"),
    ("xyzzy plugh", "text 1: no word of it is in the training vocabulary"),
    ("eu " * 11, "text 1 has 11 words, more than max_input_words (10)"),
    ("eu gosto \udce9", "text 1: not UTF-8"),
])
def test_untranslatable_input_is_refused_in_one_line(tmp_path, text, message):
    save_toy_model(tmp_path, train_params())
    translator = decode.Translator(tmp_path)
    with pytest.raises(decode.TranslationInputError, match=re.escape(message)):
        translator.translate([text], 2, 1.0, 5, max_input_words=10)
    assert translator._models is None  # refused before Keras loaded the model


def test_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(DataError, match="no trained model"):
        decode.Translator(tmp_path)
