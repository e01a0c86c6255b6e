"""Recurrent layers from params, shared by the classifiers and the language models.

A stack's `cell`, `units` and `bidirectional` are each given once for every layer or as a list
with one value per layer; `layer_specs` is the one place that turns them into per-layer specs.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import keras

Cell = Literal["simple_rnn", "lstm", "gru"]
CELL_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    cell: Cell
    units: int
    bidirectional: bool

    def describe(self) -> str:
        return ("Bi-" if self.bidirectional else "") + f"{CELL_NAMES[self.cell]}({self.units})"


def layer_specs(cell: str | list[str], units: int | list[int], bidirectional: bool | list[bool],
                layers: int | None = None) -> list[LayerSpec]:
    """One spec per layer; lists must all have the same length (`layers` when it is given)."""
    values = {"cell": cell, "units": units, "bidirectional": bidirectional}
    lengths = {name: len(v) for name, v in values.items() if isinstance(v, list)}
    depth = layers if layers is not None else max(lengths.values(), default=1)
    for name, length in lengths.items():
        if length != depth:
            raise ValueError(f"{name}: lists {length} values for {depth} layers")
    spread = {name: v if isinstance(v, list) else [v] * depth for name, v in values.items()}
    return [LayerSpec(*row) for row in zip(*spread.values(), strict=True)]


def stack_description(embedding_dim: int | None, specs: list[LayerSpec]) -> dict:
    """What must agree between a pretraining and a model that starts from it."""
    return {"embedding_dim": embedding_dim,
            "layers": [[spec.cell, spec.units] for spec in specs]}


def describe(specs: list[LayerSpec]) -> str:
    """`Bi-GRU(150) → GRU(100)`."""
    return " → ".join(spec.describe() for spec in specs)


def recurrent_layer(spec: LayerSpec, name: str, return_sequences: bool,
                    recurrent_dropout: float = 0.0, **kwargs: object) -> keras.layers.Layer:
    """A Keras recurrent layer, wrapped in `Bidirectional` when the spec says so.

    With `recurrent_dropout` 0 (and the default activations) Keras runs GRU and LSTM on cuDNN's
    kernels when a GPU is present; any other value falls back to the generic loop.
    """
    import keras

    cells = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
             "gru": keras.layers.GRU}
    layer = cells[spec.cell](spec.units, return_sequences=return_sequences,
                             recurrent_dropout=recurrent_dropout, name=name, **kwargs)
    return keras.layers.Bidirectional(layer, name=f"bi_{name}") if spec.bidirectional else layer


def recurrent_stack(x: keras.KerasTensor, specs: list[LayerSpec], return_sequences: bool,
                    recurrent_dropout: float, dropout: float,
                    between_dense: int = 0) -> keras.KerasTensor:
    """Each spec's layer (the last returns sequences only if asked), dropout after each, and a
    relu dense layer on every step between two recurrent layers when `between_dense` is set."""
    import keras

    for depth, spec in enumerate(specs):
        last = depth == len(specs) - 1
        x = recurrent_layer(spec, f"{spec.cell}_{depth}", return_sequences or not last,
                            recurrent_dropout)(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{depth}")(x)
        if between_dense and not last:
            x = keras.layers.Dense(between_dense, activation="relu",
                                   name=f"between_dense_{depth}")(x)
    return x
