"""Train a translation model from params; save it with its vocabularies in models/<task>/."""

import dataclasses

import pandas as pd

from rnnlab import paths
from rnnlab.config import TranslationTrainParams, load_params
from rnnlab.fileio import atomic_dir, write_json
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("train_translation", task, TranslationTrainParams)
    from rnnlab import training, translation  # TensorFlow loads only once the params are valid

    training.set_seeds(params.seed, params.deterministic)
    try:
        pairs = pd.read_parquet(paths.prepared(params.data))
    except FileNotFoundError:
        raise FileNotFoundError(f"{paths.prepared(params.data)}: missing (run prepare@"
                                f"{params.data} first)") from None
    model, source, target, info = translation.train_translator(pairs, params,
                                                               paths.train_plots(task))
    train = pairs[pairs["split"] == "train"]
    with atomic_dir(paths.model(task).parent) as out:
        model.save(out / "model.keras")
        source.save(out / "source_vocab.json")
        target.save(out / "target_vocab.json")
        write_json(out / "meta.json", {
            "task": task, "params": dataclasses.asdict(params),
            "max_source_words": int(train["text"].str.split().str.len().max()),
            "max_target_words": int(train["target"].str.split().str.len().max()),
            "source_vocab_size": len(source), "target_vocab_size": len(target),
            "epochs_run": info["epochs_run"], "best_epoch": info["best_epoch"],
        })
    print(f"{task}: trained {info['epochs_run']} epochs in {info['train_seconds']:.0f} s, best "
          f"val_loss {info['best_val_loss']:.4f} at epoch {info['best_epoch']}")


if __name__ == "__main__":
    run(main)
