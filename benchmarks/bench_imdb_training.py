"""rnnlab's training pipeline against the course notebooks' `fit()` on padded NumPy arrays.

Both train the same model (built from `params.yaml: train.imdb`, as the params stage wrote it to
data/params/train/imdb.json) on the same IMDB sequences for the same number of epochs, from the
same seed, in one process; the report gives throughput, seconds per epoch, test accuracy and the
ratio. Needs `dvc repro sequences@imdb` first.

Before either is timed, each runs once untimed on a few batches (an epoch on WARMUP_BATCHES
batches, then its evaluation on as many test rows): the process's one-time costs (TensorFlow's
start-up, kernel and thread-pool set-up) would otherwise all fall on whichever arm runs first.
Each arm reseeds before it builds its model, so the warm-up does not change what it trains. The
order run is recorded in the result (`order`), with the provenance (see provenance.py).

    python benchmarks/bench_imdb_training.py --epochs 2 [--json benchmarks/results/imdb.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from provenance import provenance, write_result

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.params import load_entry
from rnnlab.tasks.classify.data import predict, train_dataset
from rnnlab.tasks.classify.model import build_classifier
from rnnlab.tasks.classify.params import SequencesParams, TrainParams
from rnnlab.tasks.fit import set_seeds
from rnnlab.text.sequences import pad_sequences
from rnnlab.text.vocab import Vocab

WARMUP_BATCHES = 4


def course_way(params: TrainParams, data: dict, vocab_size: int, glove: np.ndarray | None) -> dict:
    """As the notebooks do it: every review padded to maxlen, `fit` on NumPy arrays, batch 64."""
    set_seeds(params.seed, params.deterministic)
    model = build_classifier(params, vocab_size, 2, glove)
    start = time.perf_counter()
    model.fit(data["x_train"], data["y_train"], batch_size=params.batch_size,
              epochs=params.epochs, shuffle=True, verbose=2)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(data["x_test"], data["y_test"], batch_size=params.batch_size,
                                 verbose=0)
    return report(seconds, params.epochs, len(data["y_train"]), accuracy)


def rnnlab_way(params: TrainParams, data: dict, vocab_size: int, glove: np.ndarray | None,
               padding: str) -> dict:
    """The train stage's pipeline: tf.data, bucketing, masking, large evaluation batches."""
    set_seeds(params.seed, params.deterministic)
    model = build_classifier(params, vocab_size, 2, glove)
    train = train_dataset(data["x_train"], data["y_train"], data["len_train"], params, padding)
    start = time.perf_counter()
    model.fit(train, epochs=params.epochs, verbose=2)
    seconds = time.perf_counter() - start
    probability = predict(model, data["x_test"], data["len_test"], 512, padding)[:, 0]
    accuracy = float(np.mean((probability >= 0.5) == data["y_test"]))
    return report(seconds, params.epochs, len(data["y_train"]), accuracy)


def warm_up(course_params: TrainParams, params: TrainParams, course_data: dict, data: dict,
            vocab_size: int, glove: np.ndarray | None, padding: str) -> None:
    """One untimed epoch of each arm on its first WARMUP_BATCHES batches, course arm first."""
    rows = WARMUP_BATCHES * params.batch_size
    course_way(dataclasses.replace(course_params, epochs=1), head(course_data, rows), vocab_size,
               glove)
    rnnlab_way(dataclasses.replace(params, epochs=1), head(data, rows), vocab_size, glove, padding)


def head(data: dict, rows: int) -> dict:
    """The first `rows` rows of each train and test array the arms read."""
    return {name: values[:rows] for name, values in data.items()
            if name.split("_")[0] in ("x", "y", "len") and name.endswith(("_train", "_test"))}


def report(seconds: float, epochs: int, samples: int, accuracy: float) -> dict:
    return {"seconds_per_epoch": round(seconds / epochs, 2),
            "samples_per_second": round(samples * epochs / seconds, 1),
            "test_accuracy": round(float(accuracy), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    record = provenance([Path("params.yaml"), paths.params_entry("train", "imdb"),
                         paths.params_entry("sequences", "imdb")])
    params = dataclasses.replace(load_entry("train", "imdb", TrainParams), epochs=args.epochs)
    seq = load_entry("sequences", "imdb", SequencesParams)
    data = load_npz(paths.sequences("imdb"))
    vocab_size = len(Vocab.load(paths.vocab("imdb")))
    glove = None if params.embedding == "learned" else load_npz(paths.embeddings("imdb"))["matrix"]
    # The course pads with keras' defaults (padding="pre"); the reviews are the same ids.
    rows = [row[:n] if seq.padding == "post" else row[len(row) - n:]
            for row, n in zip(data["x_train"], data["len_train"], strict=True)]
    test_rows = [row[:n] if seq.padding == "post" else row[len(row) - n:]
                 for row, n in zip(data["x_test"], data["len_test"], strict=True)]
    course_data = {"x_train": pad_sequences(rows, seq.maxlen), "y_train": data["y_train"],
                   "x_test": pad_sequences(test_rows, seq.maxlen), "y_test": data["y_test"]}
    course_params = dataclasses.replace(params, mask_zero=False)

    model = (f"{params.cell} {params.units} units, bidirectional={params.bidirectional}, "
             f"embedding={params.embedding}")
    warm_up(course_params, params, course_data, data, vocab_size, glove, seq.padding)
    results = {"epochs": args.epochs, "maxlen": seq.maxlen, "batch_size": params.batch_size,
               "model": model,
               "course": course_way(course_params, course_data, vocab_size, glove),
               "rnnlab": rnnlab_way(params, data, vocab_size, glove, seq.padding),
               "order": ["warm-up course", "warm-up rnnlab", "course", "rnnlab"],
               "warmup_batches": WARMUP_BATCHES}
    results["throughput_ratio"] = round(results["rnnlab"]["samples_per_second"]
                                        / results["course"]["samples_per_second"], 2)
    print(json.dumps(results, indent=2))
    if args.json:
        write_result(args.json, results, record=record)


if __name__ == "__main__":
    main()
