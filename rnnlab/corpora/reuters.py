"""Reuters-21578: the R8, R52 and Keras-like 46-topic datasets from the parsed documents.

`reuters_sgml.parse_reuters` reads the 22 `reut2-NNN.sgm` files of Distribution 1.0 into one
row per `<REUTERS>` document; `make_dataset` turns that table into a labelled train/test set.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.params import only, value
from rnnlab.corpora.corpus import Corpus
from rnnlab.corpora.reuters_sgml import parse_reuters
from rnnlab.text.splits import carve_validation

R8_TOPICS: frozenset[str] = frozenset(
    {"earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain"}
)
SCHEMES: tuple[str, ...] = ("r8", "r52", "reuters46")
POOL = "pool"  # every document, for language-model pretraining: see `pool_table`
# What each scheme gives on the canonical corpus (train, test, classes); reuters46 with the
# default test_fraction=0.2. Kept here so pipeline stages and tests check the same numbers.
CANONICAL_COUNTS: dict[str, tuple[int, int, int]] = {
    "r8": (5_485, 2_189, 8),
    "r52": (6_532, 2_568, 52),
    "reuters46": (8_982, 2_246, 46),
}
REUTERS46_MIN_DOCS = 14
# What a scheme's documents are, for the error when the raw files hold none.
_SCHEME_DOCUMENTS = {
    "r8": 'ModApte TRAIN/TEST documents with TOPICS="YES" and one topic, an R8 one',
    "r52": 'ModApte TRAIN/TEST documents with TOPICS="YES" and one topic found in both',
    "reuters46": f"documents whose first topic labels at least {REUTERS46_MIN_DOCS} of them",
}


def corpus_counts(docs: pd.DataFrame) -> dict[str, int]:
    """Counts worth logging after parsing (documents, splits, TEXT types, topic presence)."""
    counts = {"documents": len(docs)}
    for column in ("lewis_split", "topics_attr", "text_type"):
        for level, n in sorted(docs[column].value_counts().items()):
            counts[f"{column}={level}"] = int(n)
    counts["with_topics"] = int(docs["topics"].map(len).gt(0).sum())
    counts["empty_text"] = int(docs["text"].eq("").sum())
    return counts


def _modapte_single_label(docs: pd.DataFrame) -> pd.DataFrame:
    keep = (
        docs["lewis_split"].isin(["TRAIN", "TEST"])
        & docs["topics_attr"].eq("YES")
        & docs["topics"].map(len).eq(1)
    )
    single = docs.loc[keep]
    return pd.DataFrame(
        {
            "id": single["id"].to_numpy(),
            "text": single["text"].to_numpy(),
            "label": single["topics"].map(lambda topics: topics[0]).to_numpy(),
            "split": single["lewis_split"].str.lower().to_numpy(),
        }
    )


def make_dataset(
    docs: pd.DataFrame, scheme: str, seed: int, test_fraction: float = 0.2
) -> pd.DataFrame:
    """Build a labelled train/test set from `parse_reuters` output.

    Returns columns `id` (NEWID, for tracing and later validation carving), `text`, `label`
    (topic name, str) and `split` ("train" / "test"), rows in NEWID order. No validation split
    is made here.

    Schemes:
    - `r8`: single-label ModApte: LEWISSPLIT TRAIN/TEST, TOPICS="YES", exactly one `<D>` topic;
      keep earn, acq, crude, trade, money-fx, interest, ship, grain. 5,485 train / 2,189 test.
    - `r52`: the same single-label ModApte documents, keeping every topic with at least one
      train and one test document: 52 topics, 6,532 train / 2,568 test.
      For r8 and r52 the split is ModApte's own, so `seed` and `test_fraction` are unused.
    - `reuters46`: the size of Keras's `reuters.load_data` set: every document with at least
      one `<D>` in TOPICS, whatever its TOPICS attribute (YES/NO/BYPASS) or LEWISSPLIT
      (NOT-USED included), labelled by its FIRST listed topic, keeping the topics that label at
      least 14 such documents: 11,228 documents in 46 topics. Split like Keras: indices in NEWID
      order shuffled by `np.random.RandomState(seed).shuffle`, the first
      `int(n * (1 - test_fraction))` are train (8,982 / 2,246 at 0.2). Only the sizes match
      Keras; its exact documents and order are not reproduced.

    Unknown `scheme` raises `ValueError`.
    """
    if scheme not in SCHEMES:
        raise DataError(f"unknown Reuters scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    missing = {"id", "text", "topics", "lewis_split", "topics_attr"} - set(docs.columns)
    if missing:
        raise DataError(f"docs lacks columns {sorted(missing)}; pass parse_reuters output")
    docs = docs.sort_values("id", kind="stable")
    if scheme in ("r8", "r52"):
        single = _modapte_single_label(docs)
        if scheme == "r8":
            keep = single["label"].isin(R8_TOPICS)
        else:
            splits_per_label = single.groupby("label")["split"].nunique()
            keep = single["label"].map(splits_per_label).eq(2)
        return single.loc[keep].reset_index(drop=True)

    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labelled = docs.loc[docs["topics"].map(len).gt(0)]
    first = labelled["topics"].map(lambda topics: topics[0])
    sizes = first.value_counts()
    keep = first.map(sizes).ge(REUTERS46_MIN_DOCS)
    kept = labelled.loc[keep]
    n = len(kept)
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)
    n_train = int(n * (1 - test_fraction))
    split = np.empty(n, dtype=object)
    split[indices[:n_train]] = "train"
    split[indices[n_train:]] = "test"
    return pd.DataFrame(
        {
            "id": kept["id"].to_numpy(),
            "text": kept["text"].to_numpy(),
            "label": first.loc[keep].to_numpy(),
            "split": split.astype(str),
        }
    )


def label_names(dataset: pd.DataFrame) -> list[str]:
    """Class names in a deterministic order: by train frequency, descending, then by name.

    Labels only seen outside the train split (none in the schemes here) come last, by name.
    The index of a name in this list is the class id a model should use.
    """
    train = dataset.loc[dataset["split"].eq("train"), "label"].value_counts()
    labels = sorted(set(dataset["label"]))
    return sorted(labels, key=lambda label: (-int(train.get(label, 0)), label))


def dataset_counts(dataset: pd.DataFrame) -> dict[str, int]:
    """Train / test / class counts of a `make_dataset` result, for logs and metrics."""
    return {
        "train": int(dataset["split"].eq("train").sum()),
        "test": int(dataset["split"].eq("test").sum()),
        "classes": int(dataset["label"].nunique()),
    }


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReutersParams:
    """A Reuters-21578 dataset (`prepare.<r8|r52|reuters46|pool>`)."""

    corpus: Literal["reuters"] = value(help="The corpus module that prepares this entry.")
    scheme: Literal["r8", "r52", "reuters46", "pool"] = value(
        help="Which Reuters dataset to build: a labelled scheme, or the unlabelled pretraining "
        "pool.")
    val_fraction: float | None = only(lambda p: p.scheme != POOL, "not with scheme: pool",
                                      gt=0, lt=1, help="Share of the training documents held "
                                      "out for validation.")
    seed: int = value(ge=0, help="Seeds the random split; for pool, the reuters46 entries' "
                      "seed, so their test documents are known and left out.")


def pool_table(docs: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Every document with text, for pretraining; split `test` where a document (or its exact
    text: the corpus has duplicates) is in the test split of r8, r52 or reuters46 (with this
    seed), `unlabelled` elsewhere. A pool takes `unlabelled` only, so no test text is seen."""
    test_ids, test_texts = set(), set()
    for scheme in SCHEMES:
        dataset = make_dataset(docs, scheme, seed)
        test = dataset[dataset["split"] == "test"]
        test_ids.update(test["id"].tolist())
        test_texts.update(test["text"].tolist())
    docs = docs.sort_values("id", kind="stable")
    docs = docs[docs["text"].str.strip().ne("")]
    held_out = docs["id"].isin(test_ids) | docs["text"].isin(test_texts)
    return pd.DataFrame({"id": docs["id"].astype(str).to_numpy(), "text": docs["text"].to_numpy(),
                         "split": np.where(held_out, "test", "unlabelled")})


def prepare_reuters(raw_dir: Path, params: ReutersParams) -> pd.DataFrame:
    """One scheme's table for the pipeline: integer labels, names, and a seeded validation split.

    Class ids follow `label_names` (train frequency, then name). Validation is carved from
    train, stratified where every class has at least two training documents.
    """
    if params.scheme == POOL:
        return pool_table(parse_reuters(raw_dir), params.seed)
    dataset = make_dataset(parse_reuters(raw_dir), params.scheme, params.seed)
    if dataset.empty:
        raise DataError(f"{raw_dir}: no document fits the {params.scheme} scheme (expected "
                        f"{_SCHEME_DOCUMENTS[params.scheme]})")
    names = label_names(dataset)
    ids = {name: i for i, name in enumerate(names)}
    table = pd.DataFrame({
        "id": dataset["id"].astype(str).to_numpy(),
        "text": dataset["text"].to_numpy(),
        "label": dataset["label"].map(ids).astype(int).to_numpy(),
        "split": dataset["split"].to_numpy(),
        "label_name": dataset["label"].to_numpy(),
    })
    return carve_validation(table, params.val_fraction, params.seed)


CORPUS = Corpus(ReutersParams, prepare_reuters)
