"""Train a task's classifier from params; save it with what inference needs in models/<task>/."""

from rnnlab.core.stage import run
from rnnlab.tasks.classify.train import CLASSIFY
from rnnlab.tasks.training import train_and_save

if __name__ == "__main__":
    run(lambda name: train_and_save(CLASSIFY, "train", name))
