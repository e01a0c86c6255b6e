"""A trained classifier loaded from models/<task>/ with everything inference needs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnnlab.fileio import read_json
from rnnlab.sequences import pad_sequences, sequence_lengths
from rnnlab.vocab import Vocab


class Classifier:
    """Texts in, class probabilities out, encoded exactly as the training data was."""

    def __init__(self, model_dir: Path) -> None:
        import keras

        import rnnlab.models  # noqa: F401  (registers the custom layers a saved model may use)

        if not (model_dir / "model.keras").is_file():
            raise FileNotFoundError(f"{model_dir / 'model.keras'}: no trained model "
                                    "(run `dvc repro` or `dvc pull` first)")
        self.model = keras.models.load_model(model_dir / "model.keras")
        self.vocab = Vocab.load(model_dir / "vocab.json")
        self.meta = read_json(model_dir / "meta.json")
        self.label_names: list[str] = self.meta["label_names"]

    def probabilities(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """An (n, classes) array; a binary model's single sigmoid becomes two columns."""
        from rnnlab.training import predict

        ids = [self.vocab.encode(text, self.meta["unknown"]) for text in texts]
        x = pad_sequences(ids, self.meta["maxlen"], self.meta["padding"], self.meta["truncating"])
        lengths = sequence_lengths(ids, self.meta["maxlen"])
        out = predict(self.model, x, lengths, batch_size, self.meta["padding"])
        return np.hstack([1 - out, out]) if out.shape[1] == 1 else out
