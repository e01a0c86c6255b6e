"""What pretraining is worth: each fine-tuned task's model trained again from scratch, the same
params but no `pretrained` (and no frozen epochs), scored on the same test text.

    python benchmarks/ablation_pretraining.py r8 r52 reuters46 sonnets sheldon por_eng \
        --json benchmarks/results/ablation_pretraining.json

A translator's BLEU on 482 test sentences moves by a few points with the seed alone, so
`--seeds 1 2` also trains the translators both ways with those seeds.

Run it from the repository after `dvc repro`: it reads data/ (sequences, vocabularies, resolved
params) and trains in a scratch folder, so models/ and metrics/ are never touched. The
fine-tuned numbers beside it are the pipeline's own (`metrics/<task>.json`).

`--json` adds these tasks' results to that file when it was written at the same commit (its
`provenance` says which), and refuses at once, before training, when it was not: move it away to
start anew. The provenance hashes params.yaml and the tasks' resolved entries (data/params/).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provenance import write_result  # noqa: E402
from retrained import checked_record, scratch_checkout, test_accuracy, test_bleu  # noqa: E402

from rnnlab.core import paths  # noqa: E402
from rnnlab.core.files import load_npz, read_json  # noqa: E402
from rnnlab.core.params import load_entry  # noqa: E402
from rnnlab.tasks.classify.params import FinetuneParams, TrainParams  # noqa: E402
from rnnlab.tasks.lm.params import (  # noqa: E402
    EvaluateLMParams,
    FinetuneLMParams,
    TrainLMParams,
)
from rnnlab.tasks.translate.params import (  # noqa: E402
    FinetuneTranslationParams,
    TranslationTrainParams,
)

FINETUNE_ONLY = ("pretrained", "freeze_epochs", "copy_output")


def from_scratch(entry: object, cls: type) -> object:
    values = {k: v for k, v in dataclasses.asdict(entry).items() if k not in FINETUNE_ONLY}
    return cls(**values)


def classifier(task: str) -> dict:
    from rnnlab.core.model_folder import read_model_meta
    from rnnlab.tasks.classify.train import CLASSIFY
    from rnnlab.tasks.training import train_and_save

    params = from_scratch(load_entry("finetune", task, FinetuneParams), TrainParams)
    train_and_save(CLASSIFY, "ablation", task, params)
    meta = read_model_meta(paths.model_dir(task), "classify")
    return {"scratch_accuracy": round(test_accuracy(task), 4),
            "scratch_train_seconds": meta["train_seconds"], "scratch_epochs": meta["epochs_run"],
            "finetuned_accuracy": round(read_json(paths.metrics(task))["accuracy"], 4)}


def language_model(task: str) -> dict:
    from rnnlab.tasks.lm.data import held_out_windows
    from rnnlab.tasks.lm.generate import Generator, mean_nll
    from rnnlab.tasks.lm.train import LANGUAGE_MODEL
    from rnnlab.tasks.training import train_and_save

    params = from_scratch(load_entry("finetune_lm", task, FinetuneLMParams), TrainLMParams)
    train_and_save(LANGUAGE_MODEL, "ablation", task, params)
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


def translator(task: str, seeds: list[int]) -> dict:
    from rnnlab.tasks.training import train_and_save
    from rnnlab.tasks.translate.train import TRANSLATE

    tuned = load_entry("finetune_translation", task, FinetuneTranslationParams)
    result = {"finetuned_bleu": read_json(paths.metrics(task))["bleu"]}
    for seed in [tuned.seed, *seeds]:
        arms = [("scratch", from_scratch(tuned, TranslationTrainParams))]
        if seed != tuned.seed:  # the pipeline's own run is the fine-tuned arm at its seed
            arms.append(("finetuned", tuned))
        for arm, params in arms:
            train_and_save(TRANSLATE, "ablation", task, dataclasses.replace(params, seed=seed))
            result[f"{arm}_bleu_seed{seed}"] = test_bleu(task)
            result[f"{arm}_val_loss_seed{seed}"] = read_json(
                paths.model_dir(task) / "meta.json")["best_val_loss"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seeds", type=int, nargs="*", default=[],
                        help="more seeds for the translators, both arms")
    args = parser.parse_args()
    args.json = args.json.resolve() if args.json else None  # before the chdir below
    record = checked_record(ROOT, args.tasks, args.json)
    finetuned = {p.stem for p in (ROOT / "data/params/finetune").glob("*.json")}
    translators = {p.stem for p in (ROOT / "data/params/finetune_translation").glob("*.json")}
    results = {}
    with scratch_checkout(ROOT, metrics=True):
        for task in args.tasks:
            if task in translators:
                results[task] = translator(task, args.seeds)
            else:
                results[task] = classifier(task) if task in finetuned else language_model(task)
            print(task, results[task], flush=True)
    if args.json:
        write_result(args.json, results, merge=True, record=record)


if __name__ == "__main__":
    main()
