"""Train a translation model from params; save it with its vocabularies in models/<task>/."""

from rnnlab.core.stage import run
from rnnlab.tasks.training import train_and_save
from rnnlab.tasks.translate.train import TRANSLATE

if __name__ == "__main__":
    run(lambda name: train_and_save(TRANSLATE, "train_translation", name))
