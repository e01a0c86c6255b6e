"""Learned embeddings vs GloVe frozen vs GloVe fine-tuned, everything else as in params.yaml.

For each task, trains the task's model three times (only `embedding` changes) on the pipeline's
own sequences and GloVe matrix, and reports test accuracy and macro-F1. Needs `dvc repro` first.

    python benchmarks/compare_embeddings.py r8 r52 reuters46 --json benchmarks/results/emb.json
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from rnnlab import evaluation, models, paths, training
from rnnlab.config import SequencesParams, TrainParams, load_params
from rnnlab.fileio import load_npz, write_json

EMBEDDINGS = ("learned", "glove_frozen", "glove_finetune")


def run(task: str, embedding: str) -> dict:
    params = dataclasses.replace(load_params("train", task, TrainParams), embedding=embedding)
    padding = load_params("sequences", task, SequencesParams).padding
    data = load_npz(paths.sequences(task))
    glove = load_npz(paths.embeddings(task))["matrix"]
    classes = len(data["label_names"])
    training.set_seeds(params.seed, params.deterministic)
    model = models.build_classifier(params, len(glove), classes, glove)
    train = training.train_dataset(data["x_train"], data["y_train"], data["len_train"], params,
                                   padding)
    val = training.eval_dataset(data["x_val"], data["y_val"], data["len_val"],
                                4 * params.batch_size, padding)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as live:
        history = training.fit(model, train, val, params, Path(live))
    seconds = time.perf_counter() - start
    out = training.predict(model, data["x_test"], data["len_test"], 512, padding)
    if classes == 2:
        scores = evaluation.binary_metrics(data["y_test"], out[:, 0], 0.5)
    else:
        scores = evaluation.multiclass_metrics(data["y_test"], out)
    return {"task": task, "embedding": embedding, "accuracy": scores["accuracy"],
            "macro_f1": scores["macro_f1"], "epochs": len(history.history["loss"]),
            "train_seconds": round(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--embeddings", nargs="+", default=list(EMBEDDINGS), choices=EMBEDDINGS)
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    rows = []
    print("| task | embedding | test accuracy | macro F1 | epochs | train s |")
    print("|---|---|---|---|---|---|")
    for task in args.tasks:
        for embedding in args.embeddings:
            row = run(task, embedding)
            rows.append(row)
            print(f"| {task} | {embedding} | {row['accuracy']:.4f} | {row['macro_f1']:.4f} | "
                  f"{row['epochs']} | {row['train_seconds']} |", flush=True)
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
