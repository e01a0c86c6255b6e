"""A translator whose decoder starts from a pretrained language model (`finetune_translation`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conftest import real_params as resolved_params

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.params import check_params, from_mapping
from rnnlab.sections import SECTIONS, check_across
from rnnlab.text.vocab import EOL, Vocab


def real_params() -> dict:
    params = resolved_params()
    params.pop("shared")
    return params


def saved_lm(folder: Path, words: list[str], embedding_dim: int, units: int) -> Path:
    """A tiny untrained word language model saved as a pretraining's model folder."""
    import keras

    from rnnlab.core.model_folder import save_model_folder
    from rnnlab.tasks.lm.model import build_language_model
    from rnnlab.tasks.lm.params import TrainLMParams

    keras.utils.set_random_seed(0)
    values = real_params()["pretrain"]["shakespeare_word"] | {"embedding_dim": embedding_dim,
                                                               "units": units}
    params = from_mapping(TrainLMParams, {k: v for k, v in values.items()
                                          if k in TrainLMParams.__dataclass_fields__}, "lm")
    vocab = Vocab(["", "[UNK]", EOL, *words], "word", "keras")
    lm = build_language_model(params, len(vocab), many_to_many=True)
    save_model_folder(folder, lm, "lm", {"stack": {}}, {"vocab.json": vocab})
    return folder


def tiny_translator(target: Vocab):
    from rnnlab.tasks.translate.model import build_translator
    from rnnlab.tasks.translate.params import FinetuneTranslationParams

    values = real_params()["finetune_translation"]["por_eng"] | {"embedding_dim": 4, "units": 3}
    params = from_mapping(FinetuneTranslationParams, values, "finetune_translation.por_eng")
    return build_translator(params, 9, len(target))


def start_decoder(model, folder, target, entry, copy_output=False):
    """The translate family's warm start, as the training path runs it."""
    from rnnlab.tasks import transfer
    from rnnlab.tasks.translate.train import DECODER

    lm, source, _ = transfer.load_pretrained(folder)
    copy = dataclasses.replace(DECODER, output="logits" if copy_output else None)
    return transfer.copy_pretrained(model, lm, target, source, entry, copy)


def test_the_decoder_starts_with_the_pretrained_rows_and_recurrent_layer(tmp_path):
    from rnnlab.core.model_folder import load_keras_model

    folder = saved_lm(tmp_path / "lm", ["you", "love", "i"], embedding_dim=4, units=6)
    target = Vocab(["", "[UNK]", "<start>", "<end>", "i", "love", "tea"], "word", "none")
    model = tiny_translator(target)
    fresh = model.get_layer("target_embedding").get_weights()[0].copy()
    fresh_kernel = model.get_layer("logits").get_weights()[0].copy()
    copied = start_decoder(model, folder, target, "finetune_translation.por_eng",
                           copy_output=True)
    assert copied == ["target_embedding", "decoder_rnn"]
    lm = load_keras_model(folder)
    pretrained = lm.get_layer("embedding").get_weights()[0]
    rows = model.get_layer("target_embedding").get_weights()[0]
    np.testing.assert_array_equal(rows[4], pretrained[5])  # "i"
    np.testing.assert_array_equal(rows[5], pretrained[4])  # "love"
    for kept in (2, 3, 6):  # <start>, <end> and "tea": not in the pool, left as they were
        np.testing.assert_array_equal(rows[kept], fresh[kept])
    for mine, theirs in zip(model.get_layer("decoder_rnn").get_weights(),
                            lm.get_layer("gru_0").get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    kernel, bias = model.get_layer("logits").get_weights()
    lm_kernel, lm_bias = lm.get_layer("logits").get_weights()
    np.testing.assert_array_equal(kernel[:, 4], lm_kernel[:, 5])  # "i": its output column too
    assert bias[5] == lm_bias[4]  # "love"
    np.testing.assert_array_equal(kernel[:, 6], fresh_kernel[:, 6])  # "tea"


def test_a_target_vocabulary_with_no_word_of_the_pool_is_refused(tmp_path):
    folder = saved_lm(tmp_path / "lm", ["thou", "art"], embedding_dim=4, units=6)
    target = Vocab(["", "[UNK]", "<start>", "<end>", "tea"], "word", "none")
    with pytest.raises(DataError, match="finetune_translation.por_eng: the task's vocabulary "
                                        "shares no token with"):
        start_decoder(tiny_translator(target), folder, target, "finetune_translation.por_eng")


@pytest.mark.parametrize("change, message", [
    (lambda p: p["finetune_translation"]["por_eng"].update(pretrained="nowhere"),
     "finetune_translation.por_eng.pretrained: no pretrain entry 'nowhere'"),
    (lambda p: p["finetune_translation"]["por_eng"].update(units=64),  # a 128-wide decoder
     "finetune_translation.por_eng: layers [['gru', 128]] does not match "
     "pretrain.shakespeare_word's [['gru', 256]]"),
    (lambda p: p["finetune_translation"]["por_eng"].update(bidirectional=False, units=256,
                                                            embedding_dim=64),
     "finetune_translation.por_eng: embedding_dim 64 does not match"),
    (lambda p: p.update(train_translation={"por_eng": {
        k: v for k, v in p["finetune_translation"]["por_eng"].items()
        if k not in ("pretrained", "freeze_epochs", "copy_output")}}),
     "finetune_translation.por_eng: also in train_translation"),
])
def test_a_decoder_that_cannot_take_the_pretraining_is_one_line(change, message):
    params = real_params()
    change(params)
    with pytest.raises(ParamsError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        check_across(check_params(params, SECTIONS, Path("params.yaml")), Path("params.yaml"))
    assert "\n" not in str(err.value)


def test_a_bidirectional_encoder_doubles_the_decoder_the_pretraining_must_match():
    params = real_params()
    entry = params["finetune_translation"]["por_eng"]
    stack = params["pretrain"][entry["pretrained"]]
    assert entry["units"] * (2 if entry["bidirectional"] else 1) == stack["units"]
    assert entry["embedding_dim"] == stack["embedding_dim"]
