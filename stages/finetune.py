"""Fine-tune a task's classifier from a pretrained language model (`finetune.<task>`); save it
in models/<task>/ like `train` does."""

from rnnlab.core.stage import run
from rnnlab.tasks.classify.train import CLASSIFY
from rnnlab.tasks.training import train_and_save

if __name__ == "__main__":
    run(lambda name: train_and_save(CLASSIFY, "finetune", name))
