"""Train a task's recurrent language model; save it with its vocabulary in models/<task>/."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import LMSequencesParams, TrainLMParams


def main(task: str) -> None:
    params = load_entry("train_lm", task, TrainLMParams)
    seq = load_entry("lm_sequences", task, LMSequencesParams)
    from rnnlab.tasks.lm.train import train_language_model  # TensorFlow loads only now

    train_language_model(task, "train_lm", params, seq)


if __name__ == "__main__":
    run(main)
