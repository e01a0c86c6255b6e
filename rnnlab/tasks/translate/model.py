"""Encoder–decoder translation models built from `train_translation.<task>` params.

Two architectures: `basic`, the course's encoder–decoder (the encoder's final state starts the
decoder, which is fed the reference with teacher forcing), and `attention`, where each decoder
step also attends over every encoder output (dot-product "luong" or additive "bahdanau"
scores). Training runs the whole model on whole sentences; `decode.Translator` rebuilds an
encoder and a one-step decoder from the same layers, found by their fixed names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnnlab.tasks.fit import make_optimizer
from rnnlab.tasks.translate.params import TranslationTrainParams

if TYPE_CHECKING:  # Keras loads on first use, so `rnnlab translate` refuses bad input at once
    import keras


def _cell(params: TranslationTrainParams, units: int, name: str) -> keras.layers.Layer:
    import keras

    cells = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
    return cells[params.cell](units, return_sequences=True, return_state=True, name=name)


def state_count(cell: str) -> int:
    return 2 if cell == "lstm" else 1


def build_translator(params: TranslationTrainParams, source_size: int,
                     target_size: int) -> keras.Model:
    """The teacher-forced training model: (source ids, decoder input ids) -> next-word logits.

    Layer names are fixed: `Translator` finds the layers by name to build its decoding models.
    """
    import keras

    source = keras.Input((None,), dtype="int32", name="source")
    target_in = keras.Input((None,), dtype="int32", name="target_in")
    x = keras.layers.Embedding(source_size, params.embedding_dim, mask_zero=True,
                               name="source_embedding")(source)
    x = keras.layers.Dropout(params.dropout, name="source_dropout")(x)
    encoder = _cell(params, params.units, "encoder_rnn")
    if params.bidirectional:
        encoder = keras.layers.Bidirectional(encoder, name="encoder")
    encoded, *states = encoder(x)
    n = state_count(params.cell)
    if params.bidirectional:  # forward and backward states side by side: the decoder is wider
        states = [keras.layers.Concatenate(name=f"encoder_state_{i}")([states[i], states[n + i]])
                  for i in range(n)]
    else:
        states = [keras.layers.Identity(name=f"encoder_state_{i}")(s) for i, s in
                  enumerate(states)]
    decoder_units = params.decoder_units

    y = keras.layers.Embedding(target_size, params.embedding_dim, mask_zero=True,
                               name="target_embedding")(target_in)
    y = keras.layers.Dropout(params.dropout, name="target_dropout")(y)
    decoded, *_ = _cell(params, decoder_units, "decoder_rnn")(y, initial_state=states)
    if params.architecture == "attention":
        decoded = _attend(params, decoder_units, decoded, encoded)
    decoded = keras.layers.Dropout(params.dropout, name="output_dropout")(decoded)
    logits = keras.layers.Dense(target_size, name="logits")(decoded)
    model = keras.Model([source, target_in], logits, name=f"translator_{params.architecture}")
    model.compile(optimizer=make_optimizer(params),  # reads optimizer, learning_rate, clipnorm
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["accuracy"])
    return model


def _attention_layers(params: TranslationTrainParams, units: int) -> list[keras.layers.Layer]:
    """[attention, query projection, key projection] (projections: additive scores only)."""
    import keras

    if params.attention == "luong":
        return [keras.layers.Attention(use_scale=True, name="attention")]
    return [keras.layers.AdditiveAttention(name="attention"),
            keras.layers.Dense(units, use_bias=False, name="attention_query"),
            keras.layers.Dense(units, use_bias=False, name="attention_key")]


def _attend(params: TranslationTrainParams, units: int, decoded, encoded, source_mask=None,
            layers: list[keras.layers.Layer] | None = None):
    """Luong's attentional hidden state: tanh(W [decoder output; context over the encoder]).

    Additive attention as Keras ships it has no projections of its own, so query and key get one
    each (Bahdanau's W_a and U_a).
    """
    import keras

    layers = layers or _attention_layers(params, units)
    mask = None if source_mask is None else [None, source_mask]
    if len(layers) == 1:
        context = layers[0]([decoded, encoded], mask=mask)
    else:
        context = layers[0]([layers[1](decoded), encoded, layers[2](encoded)], mask=mask)
    combine = keras.layers.Concatenate(name="attention_concat")
    joined = combine([decoded, context])
    return keras.layers.Dense(units, activation="tanh", name="attention_combine")(joined)
