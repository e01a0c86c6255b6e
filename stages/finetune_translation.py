"""Train a translation model whose decoder starts from a pretrained language model of the
target language (`finetune_translation.<task>`); save it in models/<task>/ like
`train_translation` does."""

from rnnlab.core.stage import run
from rnnlab.tasks.training import train_and_save
from rnnlab.tasks.translate.train import TRANSLATE

if __name__ == "__main__":
    run(lambda name: train_and_save(TRANSLATE, "finetune_translation", name))
