"""A trained classifier loaded from models/<task>/ with everything inference needs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnnlab.core.model_folder import load_keras_model, read_model_meta
from rnnlab.text.sequences import pad_sequences, sequence_lengths
from rnnlab.text.vocab import Vocab

FAMILY = "classify"


class Classifier:
    """Texts in, class probabilities out, encoded exactly as the training data was."""

    def __init__(self, model_dir: Path) -> None:
        self.meta = read_model_meta(model_dir, FAMILY, ("label_names", "maxlen", "padding",
                                                        "truncating", "unknown"))
        self.vocab = Vocab.load(model_dir / "vocab.json")
        self.label_names: list[str] = self.meta["label_names"]
        self.folder = model_dir
        self._model = None

    @property
    def model(self):
        """The Keras model, loaded on first use (bad input is refused before TensorFlow loads)."""
        if self._model is None:
            import rnnlab.tasks.classify.model  # noqa: F401  (registers the custom layers)

            self._model = load_keras_model(self.folder)
        return self._model

    def probabilities(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """An (n, classes) array; a binary model's single sigmoid becomes two columns."""
        from rnnlab.tasks.classify.data import predict

        ids = [self.vocab.encode(text, self.meta["unknown"]) for text in texts]
        x = pad_sequences(ids, self.meta["maxlen"], self.meta["padding"], self.meta["truncating"])
        lengths = sequence_lengths(ids, self.meta["maxlen"])
        out = predict(self.model, x, lengths, batch_size, self.meta["padding"])
        return two_columns(out)


def two_columns(out: np.ndarray) -> np.ndarray:
    """A binary model's sigmoid column as (P(negative), P(positive)); softmax rows as they are."""
    return np.hstack([1 - out, out]) if out.shape[1] == 1 else out
