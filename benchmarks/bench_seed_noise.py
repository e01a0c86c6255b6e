"""The seed-to-seed noise of each default model: its task's training entry trained again with
other seeds, scored on the same test split (accuracy; BLEU for a translator), and the mean and
standard deviation over the seeds beside the best classical peer's test score.

    python benchmarks/bench_seed_noise.py imdb r8 r52 reuters46 por_eng --seeds 42 1 2 \
        --reuse-pipeline-seed --json benchmarks/results/seed_noise.json

`--reuse-pipeline-seed` takes the entry's own seed (42) from the pipeline's metrics instead of
training it a third time: a training is deterministic on one machine, and `dvc status` must say
the pipeline's training and scoring of the task are current.

"Ahead" (issue 26) means the mean is above the classical peer by more than 2 standard
deviations; `margin_in_sd` says by how many. Not part of `make repro`: it costs three trainings
per task.

Run it from the repository after `dvc repro`: it reads data/ (sequences, vocabularies, resolved
params) and models/pretrain/, trains in a scratch folder, and never touches models/ or metrics/.
The classical peer's score is read from metrics/<task>.json (the pipeline's own).

`--json` adds these tasks' results to that file when it was written at the same commit, and
refuses at once, before training, when it was not (see provenance.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provenance import write_result  # noqa: E402
from retrained import checked_record, scratch_checkout, test_accuracy, test_bleu  # noqa: E402

from rnnlab.core import paths  # noqa: E402
from rnnlab.core.files import read_json  # noqa: E402
from rnnlab.core.params import load_entry  # noqa: E402


def training_section(task: str) -> str:
    """The section that trains `task` (from scratch or fine-tuned), from the resolved entries."""
    for section in ("train", "finetune", "train_translation", "finetune_translation"):
        if (ROOT / "data" / "params" / section / f"{task}.json").is_file():
            return section
    sys.exit(f"bench_seed_noise: {task}: no classification or translation training entry "
             "(run `dvc repro params` first)")


def pipeline_is_current(section: str, task: str) -> bool:
    """Whether `dvc status` finds the pipeline's training of `task` and its scoring up to date,
    so metrics/<task>.json is that entry's own training, with these code and params."""
    stages = [f"{section}@{task}", f"evaluate{'_translation' if 'translation' in section else ''}"
              f"@{task}"]
    status = subprocess.run(["dvc", "status", *stages], cwd=ROOT, capture_output=True,
                            text=True)
    return status.returncode == 0 and not any(stage in status.stdout for stage in stages)


def noise(task: str, seeds: list[int], reuse_pipeline: bool = False) -> dict:
    """Train `task`'s default model once per seed; its scores, their mean and spread. With
    `reuse_pipeline`, the entry's own seed is not trained again: its score is the pipeline's
    (metrics/<task>.json), when `dvc status` says that training is current."""
    from rnnlab.tasks.classify.train import CLASSIFY
    from rnnlab.tasks.training import train_and_save
    from rnnlab.tasks.translate.train import TRANSLATE

    section = training_section(task)
    translate = "translation" in section
    family = TRANSLATE if translate else CLASSIFY
    params = load_entry(section, task, family.sections[section])
    pipeline = read_json(ROOT / paths.metrics(task))
    scores, reused = {}, []
    if reuse_pipeline and params.seed in seeds:
        if not pipeline_is_current(section, task):
            sys.exit(f"bench_seed_noise: {task}: --reuse-pipeline-seed needs `dvc status` "
                     f"clean for {section}@{task} and its evaluation")
        scores[params.seed] = pipeline["bleu" if translate else "accuracy"]
        reused.append(params.seed)
        print(f"{task} seed {params.seed}: {scores[params.seed]} (the pipeline's)", flush=True)
    for seed in (s for s in seeds if s not in reused):
        train_and_save(family, section, task, dataclasses.replace(params, seed=seed))
        scores[seed] = test_bleu(task) if translate else test_accuracy(task)
        print(f"{task} seed {seed}: {scores[seed]}", flush=True)
    mean = statistics.mean(scores.values())
    sd = statistics.stdev(scores.values()) if len(scores) > 1 else float("nan")
    peer = pipeline["baseline_bleu" if translate else "baseline_accuracy"]
    return {"metric": "test BLEU" if translate else "test accuracy", "section": section,
            "per_seed": {str(s): scores[s] for s in seeds}, "from_pipeline": reused,
            "mean": round(mean, 5),
            "sd": round(sd, 5), "classical_peer": peer,
            "margin_in_sd": round((mean - peer) / sd, 2) if sd > 0 else None,
            "ahead_by_2_sd": bool(sd > 0 and mean - peer > 2 * sd)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--reuse-pipeline-seed", action="store_true",
                        help="take the entry's own seed's score from metrics/<task>.json (the "
                        "pipeline's training, dvc status clean) instead of training it again")
    args = parser.parse_args()
    args.json = args.json.resolve() if args.json else None  # before the chdir below
    record = checked_record(ROOT, args.tasks, args.json)
    for task in args.tasks:
        training_section(task)  # an unknown task fails before the first training
    results = {}
    with scratch_checkout(ROOT):
        for task in args.tasks:
            results[task] = noise(task, args.seeds, args.reuse_pipeline_seed)
            print(task, results[task], flush=True)
    if args.json:
        write_result(args.json, results, merge=True, record=record)


if __name__ == "__main__":
    main()
