"""Train a translation model whose decoder starts from a pretrained language model of the
target language (`finetune_translation.<task>`); save it in models/<task>/ like
`train_translation` does."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.translate.params import FinetuneTranslationParams


def main(task: str) -> None:
    params = load_entry("finetune_translation", task, FinetuneTranslationParams)
    from rnnlab.tasks.translate.train import train_and_save  # TensorFlow loads only now

    train_and_save(task, "finetune_translation", params)


if __name__ == "__main__":
    run(main)
