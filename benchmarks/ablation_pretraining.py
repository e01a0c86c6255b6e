"""What pretraining is worth: each fine-tuned task's model trained again from scratch, the same
params but no `pretrained` (and no frozen epochs), scored on the same test text.

    python benchmarks/ablation_pretraining.py r8 r52 reuters46 sonnets sheldon \
        --json benchmarks/results/ablation_pretraining.json

Run it from the repository after `dvc repro`: it reads data/ (sequences, vocabularies, resolved
params) and trains in a scratch folder, so models/ and metrics/ are never touched. The
fine-tuned numbers beside it are the pipeline's own (`metrics/<task>.json`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnlab.core import paths  # noqa: E402
from rnnlab.core.files import load_npz, read_json  # noqa: E402
from rnnlab.core.params import load_entry  # noqa: E402
from rnnlab.tasks.classify.params import FinetuneParams, SequencesParams, TrainParams  # noqa: E402
from rnnlab.tasks.lm.params import (  # noqa: E402
    EvaluateLMParams,
    FinetuneLMParams,
    LMSequencesParams,
    TrainLMParams,
)

FINETUNE_ONLY = ("pretrained", "freeze_epochs")


def from_scratch(entry: object, cls: type) -> object:
    values = {k: v for k, v in dataclasses.asdict(entry).items() if k not in FINETUNE_ONLY}
    return cls(**values)


def classifier(task: str) -> dict:
    import numpy as np

    from rnnlab.core.model_folder import load_keras_model, read_model_meta
    from rnnlab.tasks.classify.data import predict
    from rnnlab.tasks.classify.train import train_classifier

    params = from_scratch(load_entry("finetune", task, FinetuneParams), TrainParams)
    seq = load_entry("sequences", task, SequencesParams)
    train_classifier(task, "ablation", params, seq)
    model = load_keras_model(paths.model_dir(task))
    meta = read_model_meta(paths.model_dir(task), "classify")
    data = load_npz(paths.sequences(task))
    out = predict(model, data["x_test"], data["len_test"], 512, seq.padding)
    pred = (out[:, 0] >= 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    return {"scratch_accuracy": round(float(np.mean(pred == data["y_test"])), 4),
            "scratch_train_seconds": meta["train_seconds"], "scratch_epochs": meta["epochs_run"],
            "finetuned_accuracy": round(read_json(paths.metrics(task))["accuracy"], 4)}


def language_model(task: str) -> dict:
    from rnnlab.tasks.lm.data import held_out_windows
    from rnnlab.tasks.lm.generate import Generator, mean_nll
    from rnnlab.tasks.lm.train import train_language_model

    params = from_scratch(load_entry("finetune_lm", task, FinetuneLMParams), TrainLMParams)
    train_language_model(task, "ablation", params,
                         load_entry("lm_sequences", task, LMSequencesParams))
    evaluation = load_entry("evaluate_lm", task, EvaluateLMParams)
    generator = Generator(paths.model_dir(task))
    stream = load_npz(paths.lm_sequences(task))[f"stream_{evaluation.split}"]
    nll, _ = mean_nll(generator.model, *held_out_windows(stream, evaluation.eval_window),
                      evaluation.batch_size)
    tuned = read_json(paths.metrics(task))
    key = "val_loss_nats" if generator.vocab.level == "char" else "loss_nats"
    return {"split": evaluation.split, "scratch_nats": round(nll, 4),
            "scratch_perplexity": round(math.exp(nll), 2),
            "finetuned_nats": round(tuned[key], 4),
            "finetuned_perplexity": round(math.exp(tuned[key]), 2),
            "scratch_train_seconds": generator.meta["train_seconds"],
            "scratch_epochs": generator.meta["epochs_run"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.json = args.json.resolve() if args.json else None  # before the chdir below
    finetuned = {p.stem for p in (ROOT / "data/params/finetune").glob("*.json")}
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        os.symlink(ROOT / "data", Path(scratch) / "data")
        (Path(scratch) / "metrics").symlink_to(ROOT / "metrics")  # read only: the tuned scores
        os.chdir(scratch)
        for task in args.tasks:
            results[task] = classifier(task) if task in finetuned else language_model(task)
            print(task, results[task], flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
