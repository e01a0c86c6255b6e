"""Starting a task's model from a pretrained language model (`pretrain.<name>`).

The embedding and the recurrent layers are copied in. Where the task's vocabulary differs from
the pool's, embedding rows (and a language model's output columns) are mapped token by token;
tokens the pool lacks keep the fresh initialisation a model without pretraining has.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.model_folder import load_keras_model, read_model_meta
from rnnlab.tasks.layers import LayerSpec
from rnnlab.text.vocab import EOL, OOV, PAD, Vocab

if TYPE_CHECKING:
    import keras

VOCAB_FILE = "vocab.json"


def stack_description(embedding_dim: int, specs: list[LayerSpec]) -> dict:
    """What must agree between a pretraining and a model that starts from it."""
    return {"embedding_dim": embedding_dim,
            "layers": [[spec.cell, spec.units] for spec in specs]}


def check_stack(entry: str, name: str, wanted: dict, pretrained: dict) -> None:
    """A one-line error naming `entry` when its model cannot take `pretrain.<name>`'s layers."""
    for key in ("embedding_dim", "layers"):
        if wanted[key] != pretrained.get(key):
            raise ParamsError(f"{entry}: {key} {wanted[key]} does not match pretrain.{name}'s "
                              f"{pretrained.get(key)} (cell and units per layer must agree)")


def load_pretrained(folder: Path) -> tuple[keras.Model, Vocab, dict]:
    """The language model, vocabulary and meta of a pretraining's model folder."""
    meta = read_model_meta(folder, "lm", ("stack",))
    return load_keras_model(folder), Vocab.load(folder / VOCAB_FILE), meta


def shared_rows(target: Vocab, source: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """(target ids, source ids) of every token both vocabularies hold, padding and OOV too."""
    pairs = [(i, source.index[token]) for i, token in enumerate(target.tokens)
             if token in source.index]
    return (np.array([t for t, _ in pairs], dtype=np.int64),
            np.array([s for _, s in pairs], dtype=np.int64))


def copy_pretrained(model: keras.Model, pretrained: keras.Model, target: Vocab, source: Vocab,
                    entry: str, output_layer: str | None = None) -> list[str]:
    """Copy the embedding and recurrent layers of `pretrained` into `model` (rows mapped by
    token), and the output layer's columns when `output_layer` names one. Returns the names of
    the layers copied, the ones a fine-tuning may freeze."""
    if (target.level, target.standardize) != (source.level, source.standardize):
        raise DataError(f"{entry}: the task's vocabulary is {target.level}-level with "
                        f"standardize={target.standardize}, the pretraining's "
                        f"{source.level}-level with standardize={source.standardize}")
    rows, source_rows = shared_rows(target, source)
    specials = {PAD, OOV, EOL}
    if all(target.tokens[row] in specials for row in rows):
        raise DataError(f"{entry}: the task's vocabulary shares no token with the pretraining's")
    embedding = model.get_layer("embedding")
    matrix = embedding.get_weights()[0]
    matrix[rows] = pretrained.get_layer("embedding").get_weights()[0][source_rows]
    embedding.set_weights([matrix])
    copied = ["embedding"]
    for layer in pretrained.layers:
        if _is_recurrent(layer):
            model.get_layer(layer.name).set_weights(layer.get_weights())
            copied.append(layer.name)
    if output_layer is not None:
        kernel, bias = model.get_layer(output_layer).get_weights()
        source_kernel, source_bias = pretrained.get_layer(output_layer).get_weights()
        kernel[:, rows], bias[rows] = source_kernel[:, source_rows], source_bias[source_rows]
        model.get_layer(output_layer).set_weights([kernel, bias])
    print(f"{entry}: started from the pretrained {', '.join(copied)}; {len(rows)} of "
          f"{len(target)} tokens found in the pretraining's {len(source)}")
    return copied


def _is_recurrent(layer: keras.layers.Layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.RNN)
