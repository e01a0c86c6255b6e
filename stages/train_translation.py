"""Train a translation model from params; save it with its vocabularies in models/<task>/."""

import dataclasses

from rnnlab.core import paths
from rnnlab.core.files import read_table
from rnnlab.core.model_folder import save_model_folder
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.translate.params import TranslationTrainParams


def main(task: str) -> None:
    params = load_entry("train_translation", task, TranslationTrainParams)
    from rnnlab.tasks.fit import set_seeds  # TensorFlow loads only once the params are valid
    from rnnlab.tasks.translate.model import train_translator

    set_seeds(params.seed, params.deterministic)
    pairs = read_table(paths.prepared(params.data))
    model, source, target, trained = train_translator(pairs, params, paths.train_plots(task),
                                                         paths.backup("train_translation", task))
    train = pairs[pairs["split"] == "train"]
    save_model_folder(paths.model_dir(task), model, "translate", {
        "task": task, "params": dataclasses.asdict(params),
        "max_source_words": int(train["text"].str.split().str.len().max()),
        "max_target_words": int(train["target"].str.split().str.len().max()),
        "source_vocab_size": len(source), "target_vocab_size": len(target), **trained,
    }, {"source_vocab.json": source, "target_vocab.json": target})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")


if __name__ == "__main__":
    run(main)
