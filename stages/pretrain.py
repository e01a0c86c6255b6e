"""Pretrain a windows language model on a pool of text; save it in models/pretrain/<name>/ and
its validation perplexity in metrics/pretrain/<name>.json."""

from rnnlab.core.stage import run
from rnnlab.tasks.lm.train import PRETRAIN
from rnnlab.tasks.training import train_and_save

if __name__ == "__main__":
    run(lambda name: train_and_save(PRETRAIN, "pretrain", name))
