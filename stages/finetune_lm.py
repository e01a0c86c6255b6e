"""Fine-tune a task's language model from a pretrained one (`finetune_lm.<task>`); save it in
models/<task>/ like `train_lm` does."""

from rnnlab.core.stage import run
from rnnlab.tasks.lm.train import LANGUAGE_MODEL
from rnnlab.tasks.training import train_and_save

if __name__ == "__main__":
    run(lambda name: train_and_save(LANGUAGE_MODEL, "finetune_lm", name))
