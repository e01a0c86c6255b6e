"""The lm family's training: a task's token streams (windows) or line prefixes in, a recurrent
language model out, saved with its vocabulary in models/<task>/ (`train_lm`, `finetune_lm`);
and the pretraining of a windows language model on a pool of text (`pretrain`), saved in
models/pretrain/<name>/ with its validation perplexity in metrics/pretrain/<name>.json."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from rnnlab.core import paths
from rnnlab.core.files import load_npz, read_table, write_json
from rnnlab.core.params import load_entry
from rnnlab.tasks import transfer
from rnnlab.tasks.lm import data, pretrain
from rnnlab.tasks.lm.params import TRAINING_SECTIONS, LMSequencesParams, TrainLMParams
from rnnlab.tasks.training import Family, Inputs
from rnnlab.text.vocab import Vocab


class LanguageModel(Family):
    kind = "lm"
    sections = TRAINING_SECTIONS
    copy = transfer.Copy(output="logits")  # a language model takes the output columns too

    def inputs(self, name: str, params: TrainLMParams) -> Inputs:
        from rnnlab.tasks.lm.model import build_language_model

        seq = load_entry("lm_sequences", name, LMSequencesParams)
        arrays = load_npz(paths.lm_sequences(name))
        vocab = Vocab.load(paths.vocab(name))
        windows = seq.recipe == "windows"
        if windows:
            train = data.windows_dataset(arrays["stream_train"], seq, params.batch_size,
                                         params.seed)
            val = held_out(arrays["stream_val"], seq.sentence_size, params.batch_size)
        else:
            train = data.arrays_dataset(arrays["x_train"], arrays["y_train"], params.batch_size,
                                        params.seed)
            val = data.arrays_dataset(arrays["x_val"], arrays["y_val"], params.batch_size,
                                      seed=None)
        return Inputs(
            train=train, val=val, vocab=vocab, files={transfer.VOCAB_FILE: vocab},
            build=lambda: build_language_model(params, len(vocab), many_to_many=windows),
            meta={"task": name, "recipe": seq.recipe, "level": vocab.level,
                  "context": seq.sentence_size if windows else arrays["x_train"].shape[1]})


def held_out(stream: np.ndarray, size: int, batch_size: int) -> object:
    """The held-out stream's whole windows (the padded last one would count padding as loss)."""
    x, y = data.held_out_windows(stream, size)
    whole = (y != 0).all(axis=1)
    return data.arrays_dataset(x[whole], y[whole], batch_size, seed=None)


class Pretrain(LanguageModel):
    sections = {"pretrain": pretrain.PretrainParams}

    def inputs(self, name: str, params: pretrain.PretrainParams) -> Inputs:
        from rnnlab.tasks.lm.model import build_language_model

        where = str(paths.prepared(params.pool))
        train_text, val_text = pretrain.pool_texts(read_table(paths.prepared(params.pool)),
                                                   params, where)
        vocab = pretrain.pool_vocab(train_text, params)
        stream_train, stream_val = pretrain.streams(train_text, val_text, vocab)
        print(f"{name}: {len(train_text)} + {len(val_text)} rows pooled from {params.pool} "
              f"({', '.join(params.splits)}); {len(stream_train)} + {len(stream_val)} tokens, "
              f"vocabulary {len(vocab)}")
        seq = LMSequencesParams(recipe="windows", sentence_size=params.sentence_size,
                                step=params.step)
        return Inputs(
            train=data.windows_dataset(stream_train, seq, params.batch_size, params.seed,
                                       params.epoch_windows),
            val=held_out(stream_val, params.sentence_size, params.batch_size), vocab=vocab,
            build=lambda: build_language_model(params, len(vocab), many_to_many=True),
            files={transfer.VOCAB_FILE: vocab},
            meta={"task": f"pretrain/{name}", "recipe": "windows", "level": vocab.level,
                  "context": params.sentence_size, "stack": params.stack,
                  "pool_rows": len(train_text) + len(val_text), "train_tokens": len(stream_train),
                  "val_tokens": len(stream_val), "vocab_size": len(vocab)})

    def model_dir(self, name: str) -> Path:
        return paths.pretrained(name)

    def plots_dir(self, name: str) -> Path:
        return paths.pretrain_plots(name)

    def saved(self, name: str, params: object, inputs: Inputs, trained: dict) -> str:
        nats = trained["best_val_loss"]
        sizes = {k: inputs.meta[k] for k in ("pool_rows", "train_tokens", "val_tokens",
                                             "vocab_size")}
        write_json(paths.pretrain_metrics(name), {
            "val_nats_per_token": nats, "val_perplexity": round(math.exp(nats), 3), **sizes,
            **trained})
        return f"validation perplexity {math.exp(nats):.2f}"


LANGUAGE_MODEL = LanguageModel()
PRETRAIN = Pretrain()
