"""A trained classifier loaded from models/<task>/ with everything inference needs."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.core.model_folder import MODEL_FILE, check_model_against_meta, read_model_meta
from rnnlab.text.sequences import pad_sequences, sequence_lengths
from rnnlab.text.vocab import OOV_ID, Vocab

FAMILY = "classify"
# Keras's own limits on a member of a .keras zip (saving_lib, CWE-409): a member declaring more
# than this, and over 100 times what it stores, is a decompression bomb
BOMB_FLOOR, BOMB_RATIO = 1 << 28, 100
ZEROS = {"module": "keras.initializers", "class_name": "Zeros", "config": {},
         "registered_name": None}


def load_inference_model(folder: Path) -> Any:
    """The folder's Keras model for inference: in Keras's safe mode (no code from the file),
    not compiled (no optimizer or metrics built), and without the initial values its config
    carries.

    A classifier's config holds its GloVe matrix as the embedding's `Constant` initializer:
    18-20 MB of JSON that only seeds a variable the weights file then overwrites. Parsing it
    and drawing the layer from it was half a second of every cold `rnnlab predict`, so the model
    is loaded from a copy of the zip whose initializers are zeros; the weights are the same, and
    a variable missing from them is Keras's error, as before.
    """
    import keras

    import rnnlab.tasks.classify.model  # noqa: F401  (registers the custom layers)

    path = folder / MODEL_FILE
    try:
        with tempfile.TemporaryDirectory(prefix="rnnlab-") as tmp:
            lean = Path(tmp) / MODEL_FILE
            _copy_without_initial_values(path, lean)
            return keras.saving.load_model(lean, compile=False, safe_mode=True)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"{path}: not a loadable Keras model ({first})") from None


def _copy_without_initial_values(source: Path, dest: Path) -> None:
    """`source` (a .keras zip) as `dest`, every `Constant` initializer in its config zeros."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(dest, "w") as out:
        for info in archive.infolist():
            if info.file_size > BOMB_FLOOR and info.file_size > BOMB_RATIO * info.compress_size:
                raise ValueError(f"member {info.filename!r} declares {info.file_size} bytes "
                                 f"but stores {info.compress_size}: a decompression bomb")
            if info.filename == "config.json":
                config = _zero_constants(_parse_json(archive.read(info)))
                out.writestr("config.json", json.dumps(config))
                continue
            with archive.open(info) as member, out.open(info.filename, "w") as copy:
                shutil.copyfileobj(member, copy, 1 << 20)


def _parse_json(data: bytes) -> Any:
    """orjson (installed with DVC) parses the 20 MB config five times faster than the standard
    library's json, which reads what orjson refuses (NaN) and stands in where it is missing."""
    try:
        import orjson

        return orjson.loads(data)
    except (ImportError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return json.loads(data)


def _zero_constants(config: Any) -> Any:
    if isinstance(config, dict):
        if (config.get("module"), config.get("class_name")) == ("keras.initializers",
                                                                 "Constant"):
            return ZEROS
        return {key: _zero_constants(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_zero_constants(value) for value in config]
    return config


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
            model = load_inference_model(self.folder)
            check_model_against_meta(self.folder, model, self.meta, len(self.vocab))
            self._model = model
        return self._model

    def probabilities(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """An (n, classes) array; a binary model's single sigmoid becomes two columns."""
        from rnnlab.tasks.classify.data import predict

        # a text with no word reads as one unknown word: a masked model would pool over no step
        ids = [self.vocab.encode(text, self.meta["unknown"]) or [OOV_ID] for text in texts]
        x = pad_sequences(ids, self.meta["maxlen"], self.meta["padding"], self.meta["truncating"])
        lengths = sequence_lengths(ids, self.meta["maxlen"])
        out = predict(self.model, x, lengths, batch_size, self.meta["padding"])
        return two_columns(out)


def two_columns(out: np.ndarray) -> np.ndarray:
    """A binary model's sigmoid column as (P(negative), P(positive)); softmax rows as they are."""
    return np.hstack([1 - out, out]) if out.shape[1] == 1 else out
