"""Learned embeddings vs GloVe frozen vs GloVe fine-tuned, everything else as in params.yaml.

For each task, trains the task's model three times (only `embedding` changes) on the pipeline's
own sequences and GloVe matrix, and reports test accuracy and macro-F1. Needs `dvc repro` first.
The params are the task's entries as the params stage wrote them (data/params/). A `learned`
embedding needs a size, which GloVe entries do not give: `--learned-dim` (default 64, the size the
recorded results used).

    python benchmarks/compare_embeddings.py r8 r52 reuters46 --json benchmarks/results/emb.json

The JSON holds the rows under `rows`, beside the provenance (see provenance.py), which hashes
params.yaml and the tasks' resolved `train` and `sequences` entries.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from provenance import provenance, write_result

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.params import from_mapping, load_entry, resolved
from rnnlab.tasks import fit
from rnnlab.tasks.classify import evaluate
from rnnlab.tasks.classify.data import eval_dataset, predict, train_dataset
from rnnlab.tasks.classify.model import build_classifier
from rnnlab.tasks.classify.params import SequencesParams, TrainParams

EMBEDDINGS = ("learned", "glove_frozen", "glove_finetune")


def with_embedding(params: TrainParams, embedding: str, learned_dim: int) -> TrainParams:
    """`params` with another embedding, checked again: `embedding_dim` applies to `learned` only."""
    values = resolved(params) | {"embedding": embedding,
                                 "embedding_dim": learned_dim if embedding == "learned" else None}
    return from_mapping(TrainParams, values, f"embedding={embedding}")


def run(task: str, embedding: str, learned_dim: int) -> dict:
    params = with_embedding(load_entry("train", task, TrainParams), embedding, learned_dim)
    padding = load_entry("sequences", task, SequencesParams).padding
    data = load_npz(paths.sequences(task))
    glove = load_npz(paths.embeddings(task))["matrix"]
    classes = len(data["label_names"])
    fit.set_seeds(params.seed, params.deterministic)
    model = build_classifier(params, len(glove), classes, glove)
    train = train_dataset(data["x_train"], data["y_train"], data["len_train"], params, padding)
    val = eval_dataset(data["x_val"], data["y_val"], data["len_val"], 4 * params.batch_size,
                       padding)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        history = fit.fit(model, train, val, params, Path(scratch) / "live",
                          Path(scratch) / "backup")
    seconds = time.perf_counter() - start
    out = predict(model, data["x_test"], data["len_test"], 512, padding)
    if classes == 2:
        scores = evaluate.binary_metrics(data["y_test"], out[:, 0], 0.5)
    else:
        scores = evaluate.multiclass_metrics(data["y_test"], out)
    return {"task": task, "embedding": embedding, "accuracy": scores["accuracy"],
            "macro_f1": scores["macro_f1"], "epochs": len(history.history["loss"]),
            "train_seconds": round(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--embeddings", nargs="+", default=list(EMBEDDINGS), choices=EMBEDDINGS)
    parser.add_argument("--learned-dim", type=int, default=64,
                        help="embedding size of the `learned` runs (default 64)")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    record = provenance([Path("params.yaml"),
                         *(paths.params_entry(section, task) for task in args.tasks
                           for section in ("train", "sequences"))])
    rows = []
    print("| task | embedding | test accuracy | macro F1 | epochs | train s |")
    print("|---|---|---|---|---|---|")
    for task in args.tasks:
        for embedding in args.embeddings:
            row = run(task, embedding, args.learned_dim)
            rows.append(row)
            print(f"| {task} | {embedding} | {row['accuracy']:.4f} | {row['macro_f1']:.4f} | "
                  f"{row['epochs']} | {row['train_seconds']} |", flush=True)
    if args.json:
        write_result(args.json, {"rows": rows}, record=record)


if __name__ == "__main__":
    main()
