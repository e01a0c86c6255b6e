"""Starting a task's model from a pretrained language model (`pretrain.<name>`).

The embedding and the recurrent layers are copied in. Where the task's vocabulary differs from
the pool's, embedding rows (and a language model's output columns) are mapped token by token;
tokens the pool lacks keep the fresh initialisation a model without pretraining has.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.model_folder import load_keras_model, read_model_meta
from rnnlab.text.vocab import EOL, OOV, PAD, Vocab

if TYPE_CHECKING:
    import keras

VOCAB_FILE = "vocab.json"
OUTPUT = "logits"  # a language model's output layer


def check_stack(entry: str, name: str, wanted: dict, pretrained: dict) -> None:
    """A one-line error naming `entry` when its model cannot take `pretrain.<name>`'s layers."""
    for key in ("embedding_dim", "layers"):
        if wanted[key] != pretrained.get(key):
            raise ParamsError(f"{entry}: {key} {wanted[key]} does not match pretrain.{name}'s "
                              f"{pretrained.get(key)} (cell and units per layer must agree)")


def load_pretrained(folder: Path) -> tuple[keras.Model, Vocab, dict]:
    """The language model, vocabulary and meta of a pretraining's model folder, the vocabulary
    checked against the model (one embedding row and one output column per token)."""
    meta = read_model_meta(folder, "lm", ("stack",))
    model, vocab = load_keras_model(folder), Vocab.load(folder / VOCAB_FILE)
    rows = model.get_layer("embedding").input_dim
    columns = model.get_layer(OUTPUT).units
    if rows != len(vocab) or columns != len(vocab):
        raise DataError(f"{folder / VOCAB_FILE}: {len(vocab)} tokens, but the model in {folder} "
                        f"has {rows} embedding rows and {columns} outputs; expected its own "
                        "vocabulary (run `dvc repro` for the pretraining again)")
    return model, vocab, meta


def shared_rows(target: Vocab, source: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """(target ids, source ids) of every token both vocabularies hold, padding and OOV too."""
    pairs = [(i, source.index[token]) for i, token in enumerate(target.tokens)
             if token in source.index]
    return (np.array([t for t, _ in pairs], dtype=np.int64),
            np.array([s for _, s in pairs], dtype=np.int64))


@dataclasses.dataclass(frozen=True)
class Copy:
    """Which layers of a task's model take a pretrained language model's.

    `recurrent` names the model's layers that take the language model's recurrent layers, in
    order (None: layers of the same names); `output` the layer that takes its output columns.
    `same_standardize`: refuse a vocabulary standardised otherwise than the pool's. A
    translator's target text is normalised by its corpus reader, not by a standardize, so it
    maps by the words both hold (none shared is still refused).
    """

    embedding: str = "embedding"
    recurrent: tuple[str, ...] | None = None
    output: str | None = None
    same_standardize: bool = True


def copy_pretrained(model: keras.Model, pretrained: keras.Model, target: Vocab, source: Vocab,
                    entry: str, copy: Copy = Copy()) -> list[str]:
    """Copy the embedding and recurrent layers of `pretrained` into `model` (rows mapped by
    token), and the output layer's columns when `copy.output` names one. Returns the names of
    the embedding and recurrent layers copied, the ones a fine-tuning may freeze."""
    if target.level != source.level or (copy.same_standardize
                                        and target.standardize != source.standardize):
        raise DataError(f"{entry}: the task's vocabulary is {target.level}-level with "
                        f"standardize={target.standardize}, the pretraining's "
                        f"{source.level}-level with standardize={source.standardize}")
    rows, source_rows = shared_rows(target, source)
    if all(target.tokens[row] in (PAD, OOV, EOL) for row in rows):
        raise DataError(f"{entry}: the task's vocabulary shares no token with the pretraining's")
    embedding = model.get_layer(copy.embedding)
    matrix = embedding.get_weights()[0]
    matrix[rows] = pretrained.get_layer("embedding").get_weights()[0][source_rows]
    embedding.set_weights([matrix])
    recurrent = [layer for layer in pretrained.layers if _is_recurrent(layer)]
    names = copy.recurrent or tuple(layer.name for layer in recurrent)
    if len(names) != len(recurrent):
        raise DataError(f"{entry}: the pretraining has {len(recurrent)} recurrent layers, the "
                        f"model takes {len(names)}")
    for name, layer in zip(names, recurrent, strict=True):
        model.get_layer(name).set_weights(layer.get_weights())
    if copy.output is not None:
        kernel, bias = model.get_layer(copy.output).get_weights()
        source_kernel, source_bias = pretrained.get_layer(OUTPUT).get_weights()
        kernel[:, rows], bias[rows] = source_kernel[:, source_rows], source_bias[source_rows]
        model.get_layer(copy.output).set_weights([kernel, bias])
    copied = [copy.embedding, *names]
    print(f"{entry}: started from the pretrained {', '.join(copied)}; {len(rows)} of "
          f"{len(target)} tokens found in the pretraining's {len(source)}")
    return copied


def _is_recurrent(layer: keras.layers.Layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.RNN)
