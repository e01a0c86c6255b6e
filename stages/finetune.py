"""Fine-tune a task's classifier from a pretrained language model (`finetune.<task>`); save it
in models/<task>/ like `train` does."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.params import FinetuneParams, SequencesParams


def main(task: str) -> None:
    params = load_entry("finetune", task, FinetuneParams)
    seq = load_entry("sequences", task, SequencesParams)
    from rnnlab.tasks.classify.train import train_classifier  # TensorFlow loads only now

    train_classifier(task, "finetune", params, seq)


if __name__ == "__main__":
    run(main)
