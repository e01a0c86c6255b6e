"""Fine-tune a task's language model from a pretrained one (`finetune_lm.<task>`); save it in
models/<task>/ like `train_lm` does."""

from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import FinetuneLMParams, LMSequencesParams


def main(task: str) -> None:
    params = load_entry("finetune_lm", task, FinetuneLMParams)
    seq = load_entry("lm_sequences", task, LMSequencesParams)
    from rnnlab.tasks.lm.train import train_language_model  # TensorFlow loads only now

    train_language_model(task, "finetune_lm", params, seq)


if __name__ == "__main__":
    run(main)
