"""Train a task's classifier from params; save it with what inference needs in models/<task>/."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.params import SequencesParams, TrainParams


def main(task: str) -> None:
    params = load_entry("train", task, TrainParams)
    seq = load_entry("sequences", task, SequencesParams)
    from rnnlab.tasks.classify.train import train_classifier  # TensorFlow loads only now

    train_classifier(task, "train", params, seq)


if __name__ == "__main__":
    run(main)
