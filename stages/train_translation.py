"""Train a translation model from params; save it with its vocabularies in models/<task>/."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.translate.params import TranslationTrainParams


def main(task: str) -> None:
    params = load_entry("train_translation", task, TranslationTrainParams)
    from rnnlab.tasks.translate.train import train_and_save  # TensorFlow loads only now

    train_and_save(task, "train_translation", params)


if __name__ == "__main__":
    run(main)
