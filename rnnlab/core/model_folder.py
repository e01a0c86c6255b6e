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
    return meta


def load_keras_model(folder: Path) -> Any:
    """The folder's Keras model, loaded in safe mode (no arbitrary code from the file)."""
    import keras

    path = folder / MODEL_FILE
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError, KeyError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"{path}: not a loadable Keras model ({first})") from None
