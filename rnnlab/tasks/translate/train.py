"""Training a translator (`train_translation` and `finetune_translation`): vocabularies from the
training pairs, the decoder optionally started from a pretrained language model, then `fit`."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rnnlab.core import paths
from rnnlab.core.errors import DataError
from rnnlab.core.files import read_table
from rnnlab.core.model_folder import save_model_folder
from rnnlab.tasks import transfer
from rnnlab.tasks.fit import fit, history_summary, set_seeds
from rnnlab.tasks.translate.data import arrays, build_vocabs, dataset
from rnnlab.tasks.translate.model import build_translator
from rnnlab.tasks.translate.params import FinetuneTranslationParams, TranslationTrainParams
from rnnlab.text.vocab import EOL, OOV, PAD, Vocab

if TYPE_CHECKING:
    import keras

DECODER_LAYERS = ("target_embedding", "decoder_rnn")
OUTPUT = "logits"  # the translator's output layer, and the language model's


def start_decoder(model: keras.Model, folder: Path, target: Vocab, entry: str,
                  copy_output: bool = False) -> list[str]:
    """Copy a pretrained language model's embedding (rows mapped by token) and its recurrent
    layer into the decoder, and with `copy_output` its output layer's columns (by token); target
    tokens the pool lacks keep their fresh initialisation. Returns the names of the recurrent
    and embedding layers copied, the ones `freeze_epochs` freezes."""
    import keras

    lm, vocab, _ = transfer.load_pretrained(folder)
    if vocab.level != "word":
        raise DataError(f"{entry}: {folder} is a {vocab.level}-level language model; a "
                        "decoder of words starts from a word-level one")
    rows, lm_rows = transfer.shared_rows(target, vocab)
    if all(target.tokens[row] in (PAD, OOV, EOL) for row in rows):
        raise DataError(f"{entry}: the target vocabulary shares no word with {folder}'s")
    embedding = model.get_layer("target_embedding")
    matrix = embedding.get_weights()[0]
    matrix[rows] = lm.get_layer("embedding").get_weights()[0][lm_rows]
    embedding.set_weights([matrix])
    recurrent = [layer for layer in lm.layers if isinstance(layer, keras.layers.RNN)]
    model.get_layer("decoder_rnn").set_weights(recurrent[0].get_weights())
    if copy_output:
        kernel, bias = model.get_layer(OUTPUT).get_weights()
        lm_kernel, lm_bias = lm.get_layer(OUTPUT).get_weights()
        kernel[:, rows], bias[rows] = lm_kernel[:, lm_rows], lm_bias[lm_rows]
        model.get_layer(OUTPUT).set_weights([kernel, bias])
    print(f"{entry}: decoder started from {folder}; {len(rows)} of {len(target)} target words "
          f"found in its {len(vocab)}")
    return list(DECODER_LAYERS)


def train_translator(pairs: pd.DataFrame, params: TranslationTrainParams, task: str,
                     section: str) -> tuple[keras.Model, Vocab, Vocab, dict]:
    """Vocabularies from the training split, the model fit with early stopping on val loss."""
    train, val = pairs[pairs["split"] == "train"], pairs[pairs["split"] == "val"]
    if train.empty or val.empty:
        raise DataError(f"data/prepared/{params.data}.parquet: needs train and val pairs")
    source, target = build_vocabs(train, params)
    model = build_translator(params, len(source), len(target))
    model.summary(print_fn=print)
    frozen, freeze_epochs = [], 0
    if isinstance(params, FinetuneTranslationParams):
        frozen = start_decoder(model, paths.pretrained(params.pretrained), target,
                               f"{section}.{task}", params.copy_output)
        freeze_epochs = params.freeze_epochs
    start = time.perf_counter()
    history = fit(model, dataset(*arrays(train, source, target), params.batch_size, params.seed),
                  dataset(*arrays(val, source, target), 4 * params.batch_size, None), params,
                  paths.train_plots(task), paths.backup(section, task), frozen=frozen,
                  freeze_epochs=freeze_epochs)
    return model, source, target, history_summary(history, time.perf_counter() - start)


def train_and_save(task: str, section: str, params: TranslationTrainParams) -> None:
    """Train `section.task` and save it with its vocabularies in models/<task>/."""
    set_seeds(params.seed, params.deterministic)
    pairs = read_table(paths.prepared(params.data))
    model, source, target, trained = train_translator(pairs, params, task, section)
    train = pairs[pairs["split"] == "train"]
    save_model_folder(paths.model_dir(task), model, "translate", {
        "task": task, "params": dataclasses.asdict(params),
        "max_source_words": int(train["text"].str.split().str.len().max()),
        "max_target_words": int(train["target"].str.split().str.len().max()),
        "source_vocab_size": len(source), "target_vocab_size": len(target), **trained,
    }, {"source_vocab.json": source, "target_vocab.json": target})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")
