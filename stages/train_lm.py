"""Train a task's recurrent language model; save it with its vocabulary in models/<task>/."""

from rnnlab.core.stage import run
from rnnlab.tasks.lm.train import LANGUAGE_MODEL
from rnnlab.tasks.training import train_and_save

if __name__ == "__main__":
    run(lambda name: train_and_save(LANGUAGE_MODEL, "train_lm", name))
