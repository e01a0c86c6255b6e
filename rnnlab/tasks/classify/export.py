"""A trained classifier as a TensorFlow SavedModel that reads raw text, for serving.

The `serve` endpoint (also `serving_default`, the one TensorFlow Serving calls) takes a batch of
strings and does all of `Classifier.probabilities` in TensorFlow ops, so a server needs neither
Python nor rnnlab: `standardize` for the vocabulary's mode, the whitespace split of `str.split`,
the vocabulary lookup (unknown words: OOV id 1, or left out for `unknown: drop`), truncation to
`maxlen` on the `truncating` side, then padding on the `padding` side, the Keras model, and a
binary model's sigmoid turned into the two columns (P(negative), P(positive)) of `two_columns`.
It returns `probabilities` (float32, [batch, classes]), `label` (the likeliest label name) and
`error`: "" for a text answered, else why it is refused, as `rnnlab predict` refuses it (NUL
byte, not UTF-8, empty, no word, no known word: docs/serving.md, "Text rules"); a refused
text's label is "" and its probabilities 0.

A text's answer does not depend on the rest of the request, as in `rnnlab predict`: a masked
model's batch is padded to its own longest row (the mask hides the padding), and a model that
reads its padding (`mask_zero: false`, or a conv front) gets every row padded to `maxlen`.

The target folder is written whole, and only where nothing of the user's can be lost: a new or
empty folder, or one this export wrote before (marked by its `rnnlab-export.json`) that holds
nothing but what an export writes. A symbolic link is refused, not followed or replaced. Every
check runs before TensorFlow is imported, so a refusal takes a moment.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import string
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnlab.cli_input import ALL_UNKNOWN, EMPTY, NO_WORDS, NOT_UTF8, NUL_BYTE
from rnnlab.core.errors import DataError
from rnnlab.core.files import atomic_dir
from rnnlab.tasks.classify.data import reads_padding
from rnnlab.tasks.classify.predict import Classifier
from rnnlab.text.tokenize import KERAS_FILTERS
from rnnlab.text.vocab import OOV_ID, PAD_ID, Vocab

if TYPE_CHECKING:
    import tensorflow as tf

ENDPOINT = "serve"
MARKER = "rnnlab-export.json"  # written into every export: the folder is export's to replace
# what an export folder holds: Keras's SavedModel (TensorFlow adds fingerprint.pb) and the marker
EXPORT_FILES = frozenset({"saved_model.pb", "fingerprint.pb", "variables", "assets", MARKER})
# Characters each `standardize` mode turns into spaces (after lower-casing, if it lower-cases).
FILTERS = {"keras": KERAS_FILTERS, "lower_strip_punctuation": string.punctuation, "lower": "",
           "none": ""}


def char_class(chars: str) -> str:
    """An RE2 character class matching exactly `chars`, each written as `\\x{hex}`, so no
    character needs escaping."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


@functools.cache
def whitespace() -> str:
    """Every character `str.split` and `str.strip` take for whitespace."""
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def split_words(texts: tf.Tensor, mode: str) -> tf.RaggedTensor:
    """`tokenize(text, "word", mode)` for a batch: lower-casing with full Unicode rules (ICU,
    as `str.lower`), filter characters to spaces, then a split on every character `str.split`
    splits on, not only the ASCII ones `tf.strings.split` knows."""
    import tensorflow as tf

    if mode != "none":
        texts = tf.strings.lower(texts, encoding="utf-8")
    if FILTERS[mode]:
        texts = tf.strings.regex_replace(texts, char_class(FILTERS[mode]), " ")
    return tf.strings.split(tf.strings.regex_replace(texts, char_class(whitespace()), " "))


def pad_batch(ids: tf.RaggedTensor, maxlen: int, padding: str, truncating: str,
              full_width: bool = False) -> tf.Tensor:
    """`pad_sequences` then `trim_batch` for a batch: rows cut to `maxlen` on the `truncating`
    side, padded with 0 on the `padding` side to the longest row (at least one column), or to
    `maxlen` when `full_width`."""
    import tensorflow as tf

    ids = ids[:, -maxlen:] if truncating == "pre" else ids[:, :maxlen]
    lengths = ids.row_lengths()
    dense = ids.to_tensor(default_value=PAD_ID, shape=[None, maxlen] if full_width else None)
    dense = tf.pad(dense, [[0, 0], [0, tf.maximum(1 - tf.shape(dense)[1], 0)]])
    if padding == "pre":  # reverse each row's tokens in place, then the whole row
        dense = tf.reverse(tf.reverse_sequence(dense, lengths, seq_axis=1, batch_axis=0), [1])
    return dense


def vocab_table(vocab: Vocab) -> tf.lookup.StaticHashTable:
    """Token -> id for every token of the vocabulary; anything else is OOV, as in `encode`."""
    import tensorflow as tf

    tokens = list(vocab.index)
    init = tf.lookup.KeyValueTensorInitializer(
        tf.constant(tokens, tf.string), tf.constant([vocab.index[t] for t in tokens], tf.int64))
    return tf.lookup.StaticHashTable(init, default_value=OOV_ID)


def check_exportable(classifier: Classifier) -> None:
    """Refuse what the graph cannot reproduce, before anything is written."""
    vocab, meta = classifier.vocab, classifier.meta
    where = classifier.folder / "vocab.json"
    if vocab.level != "word":
        raise DataError(f"{where}: a {vocab.level}-level vocabulary; only word-level "
                        "classifiers can be exported")
    if vocab.standardize not in FILTERS:
        raise DataError(f"{where}: unknown standardize mode {vocab.standardize!r}")
    if meta["unknown"] not in ("oov", "drop") or meta["padding"] not in ("pre", "post") or \
            meta["truncating"] not in ("pre", "post"):
        raise DataError(f"{classifier.folder / 'meta.json'}: unknown, padding or truncating "
                        "has a value this version does not know")


def serving_function(classifier: Classifier, table: tf.lookup.StaticHashTable) -> Any:
    """The endpoint: a [batch] string tensor in, {"probabilities", "label"} out."""
    import tensorflow as tf

    model, meta = classifier.model, classifier.meta
    full_width = reads_padding(model)
    columns = model.output_shape[-1]
    names = tf.constant(classifier.label_names)
    if (2 if columns == 1 else columns) != len(classifier.label_names):
        raise DataError(f"{classifier.folder}: {len(classifier.label_names)} label names for a "
                        f"model with {columns} output column(s)")

    def serve(texts: tf.Tensor) -> dict[str, tf.Tensor]:
        words = split_words(texts, classifier.vocab.standardize)
        ids = tf.ragged.map_flat_values(table.lookup, words)
        error = refusals(texts, words, ids)
        if meta["unknown"] == "drop":
            ids = tf.ragged.boolean_mask(ids, tf.not_equal(ids, OOV_ID))
        empty = tf.cast(tf.equal(ids.row_lengths(), 0), tf.int64)  # refused: any one column
        fill = tf.fill([tf.reduce_sum(empty)], tf.constant(OOV_ID, ids.dtype))
        ids = tf.concat([ids, tf.RaggedTensor.from_row_lengths(fill, empty)], axis=1)
        x = pad_batch(ids, meta["maxlen"], meta["padding"], meta["truncating"], full_width)
        out = tf.cast(model(tf.cast(x, tf.int32), training=False), tf.float32)
        probabilities = tf.concat([1 - out, out], axis=1) if columns == 1 else out
        answered = tf.equal(error, "")
        return {"probabilities": tf.where(answered[:, None], probabilities, 0.0),
                "label": tf.where(answered, tf.gather(names, tf.argmax(probabilities, axis=1)),
                                  ""),
                "error": error}

    return serve


def refusals(texts: tf.Tensor, words: tf.RaggedTensor, ids: tf.RaggedTensor) -> tf.Tensor:
    """Why each text is refused, as `rnnlab predict` refuses it (docs/serving.md, "Text rules";
    the messages of rnnlab/cli_input.py, naming a text by its place, "text 2"), or "". Checked
    on the raw bytes: lower-casing cuts a text at a NUL byte and mends bad UTF-8."""
    import tensorflow as tf

    name = tf.strings.join(["text ", tf.strings.as_string(tf.range(1, tf.size(texts) + 1))])
    before_nul = tf.strings.regex_replace(texts, r"(?s)\x00.*", "", replace_global=False)
    nul_at = tf.strings.as_string(tf.strings.length(before_nul, unit="UTF8_CHAR") + 1)
    head, _, tail = NUL_BYTE.partition("{}")
    valid = tf.equal(tf.strings.unicode_encode(
        tf.strings.unicode_decode(texts, "UTF-8", errors="ignore"), "UTF-8"), texts)
    known = tf.reduce_any(tf.greater(ids, OOV_ID), axis=1)  # pad (0) and [UNK] (1) are not words
    cases = [(tf.strings.regex_full_match(texts, r"(?s).*\x00.*"),
              tf.strings.join([name, head, nul_at, tail])),
             (tf.logical_not(valid), tf.strings.join([name, NOT_UTF8])),
             (tf.strings.regex_full_match(texts, char_class(whitespace()) + "*"),
              tf.strings.join([name, EMPTY])),
             (tf.equal(words.row_lengths(), 0), tf.strings.join([name, NO_WORDS])),
             (tf.logical_not(known), tf.strings.join([name, ALL_UNKNOWN]))]
    error = tf.fill(tf.shape(texts), "")
    for refused, message in reversed(cases):  # the first that applies, as the CLI checks them
        error = tf.where(refused, message, error)
    return error


def check_target(out: Path, model_dir: Path) -> None:
    """`out` is replaced whole, so it must be new, an empty folder, or an earlier export (its
    marker, and nothing an export does not write); never a symbolic link, nor inside the model
    folder (a DVC output, which the export would change)."""
    if out.is_symlink():
        raise DataError(f"{out}: a symbolic link; export neither follows nor replaces one "
                        "(give the folder it points to, or a new folder)")
    for parent in reversed(out.parents):
        if parent.exists() and not parent.is_dir():
            raise DataError(f"{parent}: is a file, expected a folder (remove it, then run again)")
    if out.resolve().is_relative_to(model_dir.resolve()):
        raise DataError(f"{out}: inside the model folder {model_dir}; export somewhere else")
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a SavedModel folder but a file; it would be "
                        "replaced (expected a new or empty folder, or an earlier export)")
    names = sorted(path.name for path in out.iterdir()) if out.is_dir() else []
    if names and MARKER not in names:
        raise DataError(f"{out}: exists and is not a SavedModel that rnnlab export wrote (no "
                        f"{MARKER}); it would be replaced (expected a new or empty folder)")
    foreign = [name for name in names if name not in EXPORT_FILES]
    if foreign:
        raise DataError(f"{out}: holds {foreign[0]!r}, which export did not write; replacing "
                        "the folder would lose it (move it away, or export elsewhere)")


def refused_write(err: Exception) -> int | None:
    """The errno of a TensorFlow write error that a full disk or an unwritable folder caused."""
    import tensorflow as tf

    if isinstance(err, tf.errors.ResourceExhaustedError) or "No space left" in str(err):
        return errno.ENOSPC
    if isinstance(err, tf.errors.PermissionDeniedError) or "Permission denied" in str(err):
        return errno.EACCES
    return errno.EROFS if "Read-only file system" in str(err) else None


def export_classifier(model_dir: Path, out: Path) -> Path:
    """Write the SavedModel of models/<task>/ to `out` at once: a temporary folder beside it
    that replaces it only when the whole SavedModel is written. Refusals come first, before
    TensorFlow is imported."""
    classifier = Classifier(model_dir)
    check_exportable(classifier)
    check_target(out, model_dir)
    import keras
    import tensorflow as tf

    table = vocab_table(classifier.vocab)
    archive = keras.export.ExportArchive()
    archive.track(classifier.model)
    archive.track(table)
    archive.add_endpoint(ENDPOINT, serving_function(classifier, table),
                         input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    with atomic_dir(out) as tmp:
        try:
            archive.write_out(str(tmp), verbose=False)
        except tf.errors.OpError as err:  # TensorFlow's own file layer: an OSError for atomic_dir
            code = refused_write(err)
            if code is None:
                raise
            raise OSError(code, os.strerror(code)) from err
        marker = {"written_by": "rnnlab export", "task": model_dir.name,
                  "model": str(model_dir.resolve())}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return out
