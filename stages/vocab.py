"""Build the vocabulary of a task from its training split only."""



from rnnlab.core import paths
from rnnlab.core.files import read_table
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.text.vocab import EOL, VocabParams, build_vocab


def main(task: str) -> None:
    params = load_entry("vocab", task, VocabParams)
    table = read_table(paths.prepared(task), columns=["text", "split"])
    train = table.loc[table["split"] == "train", "text"]
    vocab = build_vocab(train, params.level, params.standardize, params.max_tokens,
                        params.min_freq, reserved=[EOL] if params.end_of_line else [])
    vocab.save(paths.vocab(task))
    print(f"{task}: {len(vocab)} tokens from {len(train)} training texts")


if __name__ == "__main__":
    run(main)
