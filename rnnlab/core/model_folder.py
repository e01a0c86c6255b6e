"""One model-folder format for every task family: `models/<task>/`.

A folder holds `model.keras`, the vocabularies inference needs, and `meta.json`: the task, its
family (`classify`, `lm`, `translate`), the library versions that wrote it, and the family's own
fields. Loading checks the family first, so a folder of the wrong kind is a one-line error, and
Keras loads in safe mode, so a crafted model file cannot run code.
"""

from __future__ import annotations

import json
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from rnnlab.core.errors import DataError
from rnnlab.core.files import atomic_dir, read_json, write_json

MODEL_FILE, META_FILE = "model.keras", "meta.json"
FAMILIES = ("classify", "lm", "translate")


class Saveable(Protocol):
    def save(self, path: Path) -> None: ...


def library_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("keras", "tensorflow-cpu", "rnnlab")
            if _installed(name)}


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def save_model_folder(folder: Path, model: Any, family: str, meta: dict,
                      files: dict[str, Saveable]) -> None:
    """Write the whole folder at once: it replaces the old one only when every file is written."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}")
    with atomic_dir(folder) as out:
        model.save(out / MODEL_FILE)
        make_byte_stable(out / MODEL_FILE)
        for name, item in files.items():
            item.save(out / name)
        write_json(out / META_FILE, {"family": family, "versions": library_versions()} | meta)


def make_byte_stable(path: Path) -> None:
    """Rewrite a `.keras` zip without what changes from save to save (the save time in
    `metadata.json`, the members' timestamps, the memory addresses Keras writes as
    `shared_object_id`), so equal weights give equal bytes and DVC sees an unchanged model as
    unchanged."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members):
            if name == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta, sort_keys=True).encode()
            elif name == "config.json":
                data = json.dumps(renumber_shared_objects(json.loads(data))).encode()
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)


def renumber_shared_objects(config: Any) -> Any:
    """`config` with each `shared_object_id` (Keras writes `id(obj)`, an address that changes
    from process to process) replaced by its order of first appearance: the same objects are
    still shared, and the same model gives the same text."""
    numbers: dict[Any, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: numbers.setdefault(value, len(numbers))
                    if key == "shared_object_id" else walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(config)


def read_model_meta(folder: Path, family: str, required: tuple[str, ...] = ()) -> dict:
    """`meta.json` of a model folder of `family` with the `required` keys; anything else is a
    `DataError` naming the folder."""
    if not (folder / MODEL_FILE).is_file():
        raise DataError(f"{folder / MODEL_FILE}: no trained model (run `dvc repro` or "
                        "`dvc pull` first)")
    meta = read_json(folder / META_FILE)
    if not isinstance(meta, dict) or meta.get("family") not in FAMILIES:
        raise DataError(f"{folder / META_FILE}: not an rnnlab model folder (no `family`)")
    if meta["family"] != family:
        raise DataError(f"{folder}: a {meta['family']} model, expected a {family} model")
    missing = [key for key in required if key not in meta]
    if missing:
        raise DataError(f"{folder / META_FILE}: no {', '.join(missing)} (a damaged model folder, "
                        "or one written by another version: retrain or `dvc pull` it)")
    check_meta_values(folder, meta)
    return meta


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _label_names(value: Any) -> bool:
    return (isinstance(value, list) and len(value) >= 2 and all(isinstance(v, str) for v in value)
            and len(set(value)) == len(value))


# Each family's meta.json fields: the values they may take (a tuple), or a test and what it wants
META_FIELDS: dict[str, dict[str, tuple | tuple[Any, str]]] = {
    "classify": {"label_names": (_label_names, "a list of at least 2 distinct label names"),
                 "maxlen": (lambda v: _whole(v, 1), "a whole number >= 1"),
                 "padding": ("pre", "post"), "truncating": ("pre", "post"),
                 "unknown": ("oov", "drop")},
    "lm": {"recipe": ("windows", "prefixes"),
           "context": (lambda v: _whole(v, 1), "a whole number >= 1"),
           "epochs_run": (lambda v: _whole(v, 0), "a whole number >= 0")},
    "translate": {"max_source_words": (lambda v: _whole(v, 1), "a whole number >= 1"),
                  "epochs_run": (lambda v: _whole(v, 0), "a whole number >= 0")},
}


def check_meta_values(folder: Path, meta: dict) -> None:
    """Every field of META_FIELDS that `meta` (of its family) has takes a value it may take;
    else a one-line DataError naming meta.json and the field."""
    for field, allowed in META_FIELDS.get(meta["family"], {}).items():
        if field not in meta:
            continue
        value = meta[field]
        if callable(allowed[0]):
            ok, expected = allowed[0](value), allowed[1]
        else:
            ok = isinstance(value, str) and value in allowed
            expected = f"one of {', '.join(allowed)}"
        if not ok:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise DataError(f"{folder / META_FILE}: {field}: expected {expected}, got {shown}")


def check_model_against_meta(folder: Path, model: Any, meta: dict,
                             vocab_size: int | None = None) -> None:
    """The loaded Keras `model` agrees with its meta.json and vocabulary: a classifier's output
    width with its label count (one sigmoid unit for two labels), its input length (where
    fixed) with maxlen, and the embedding's rows (a language model's output width too) with
    the vocabulary's size; else a one-line DataError naming meta.json and the field."""
    import keras

    where = folder / META_FILE
    width = _last(model.output_shape)
    if meta.get("family") == "classify":
        labels = len(meta["label_names"])
        if width not in ((1, 2) if labels == 2 else (labels,)):
            expected = "1 (a sigmoid) or 2" if labels == 2 else str(labels)
            raise DataError(f"{where}: label_names: {labels} labels, but the model's output "
                            f"layer has {width} units (expected {expected})")
        fixed = _input_length(model)
        if fixed is not None and fixed != meta["maxlen"]:
            raise DataError(f"{where}: maxlen: {meta['maxlen']}, but the model reads sequences "
                            f"of {fixed} tokens")
    if vocab_size is None:
        return
    vocab = {"classify": "vocab.json", "lm": "vocab.json"}.get(meta.get("family"), "vocabulary")
    embeddings = [layer for layer in _layers(model) if isinstance(layer, keras.layers.Embedding)]
    if embeddings and embeddings[0].input_dim != vocab_size:
        raise DataError(f"{where}: {vocab}: {vocab_size} tokens, but the model's embedding has "
                        f"{embeddings[0].input_dim} rows")
    if meta.get("family") == "lm" and width != vocab_size:
        raise DataError(f"{where}: {vocab}: {vocab_size} tokens, but the model's output layer "
                        f"has {width} units")


def check_vocab_size(folder: Path, meta: dict, field: str, vocab_file: str, size: int) -> None:
    """meta.json's `field` (a vocabulary size it records, if it does) is `vocab_file`'s size."""
    if field in meta and meta[field] != size:
        raise DataError(f"{folder / META_FILE}: {field}: {meta[field]!r}, but {vocab_file} has "
                        f"{size} tokens")


def _last(shape: Any) -> Any:
    shape = shape[0] if isinstance(shape, list) and shape and isinstance(shape[0], tuple) \
        else shape
    return shape[-1] if shape else None


def _input_length(model: Any) -> int | None:
    shape = model.input_shape
    shape = shape[0] if isinstance(shape, list) else shape
    return shape[1] if isinstance(shape, tuple) and len(shape) >= 2 else None


def _layers(model: Any) -> list:
    """Every layer, those of nested models too, in order."""
    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        out.extend(_layers(layer) if hasattr(layer, "layers") else [])
    return out


def load_keras_model(folder: Path) -> Any:
    """The folder's Keras model, loaded in safe mode (no arbitrary code from the file)."""
    import keras

    path = folder / MODEL_FILE
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError, KeyError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"{path}: not a loadable Keras model ({first})") from None
