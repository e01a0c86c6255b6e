"""Write metrics/summary.md: every task's headline numbers beside the params that gave them."""

import yaml

from rnnlab import paths
from rnnlab.fileio import read_json, write_text
from rnnlab.stage import run


def model_description(train: dict, sequences: dict) -> str:
    cells = train["cell"] if isinstance(train["cell"], list) else [train["cell"]] * train["layers"]
    stack = " → ".join(("Bi" if train["bidirectional"] else "") + c.upper().replace("SIMPLE_RNN",
                       "SimpleRNN") + f"({train['units']})" for c in cells)
    extras = [train["embedding"], f"maxlen {sequences['maxlen']}"]
    if train["pooling"] != "last":
        extras.append(f"{train['pooling']}-pooled")
    if train["conv_filters"]:
        extras.append(f"Conv1D({train['conv_filters']})")
    return f"{stack}; " + ", ".join(extras)


def main(target: str) -> None:
    params = yaml.safe_load(open("params.yaml", encoding="utf-8"))
    lines = ["# Results", "",
             "Test-set metrics of the last `dvc repro`, with the params that produced them.", "",
             "| task | accuracy | macro F1 | baseline accuracy | baseline macro F1 | model |",
             "|---|---|---|---|---|---|"]
    for task in params["evaluate"]:
        scores = read_json(paths.metrics(task))
        macro_f1 = scores["macro_f1"]
        lines.append(
            f"| {task} | {scores['accuracy']:.4f} | {macro_f1:.4f} | "
            f"{scores['baseline_accuracy']:.4f} | {scores['baseline_macro_f1']:.4f} | "
            f"{model_description(params['train'][task], params['sequences'][task])} |")
    lines += ["", "Baseline: TF-IDF word uni+bigrams with a linear SVM, C chosen on validation "
              "(`baseline` section), fit on the same training split."]
    write_text(paths.METRICS / f"{target}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    run(main)
