"""Write RESULTS.md: every task's headline numbers beside the params that gave them."""

from pathlib import Path

from rnnlab.core.files import write_text
from rnnlab.core.params import read_resolved
from rnnlab.core.stage import run
from rnnlab.report.summary import summary_markdown

RESULTS = Path("RESULTS.md")  # beside the README: outside metrics/, which it reads whole


def main(_: str) -> None:
    params = read_resolved("evaluate", "train", "finetune", "sequences", "evaluate_lm", "train_lm",
                           "finetune_lm", "pretrain",
                           "lm_sequences", "evaluate_translation", "train_translation",
                           "finetune_translation")
    write_text(RESULTS, summary_markdown(params))


if __name__ == "__main__":
    run(main)
