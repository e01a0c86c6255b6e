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


def layers(train: dict) -> str:
    """`Bi-GRU(150) → GRU(100)` from a train_lm entry (lists: one value per layer)."""
    values = [train[k] for k in ("cell", "units", "bidirectional")]
    depth = max((len(v) for v in values if isinstance(v, list)), default=1)
    cells, units, both = ([*v] if isinstance(v, list) else [v] * depth for v in values)
    names = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
    return " → ".join(("Bi-" if b else "") + f"{names[c]}({u})"
                      for c, u, b in zip(cells, units, both, strict=True))


def language_models(params: dict) -> list[str]:
    lines = ["", "## Language models", "",
             "Held-out text (`evaluate_lm.<task>.split`), every token and line end counted. Word "
             "models: perplexity; character models: nats per character (bits in brackets).", "",
             "| task | split | recurrent model | best n-gram | n-gram model | model |",
             "|---|---|---|---|---|---|"]
    for task in params.get("evaluate_lm", {}):
        m = read_json(paths.metrics(task))
        if "perplexity" in m:
            rnn, ngram = f"{m['perplexity']:.2f}", f"{m['ngram_perplexity']:.2f}"
        else:
            rnn = f"{m['val_loss_nats']:.4f} ({m['bits_per_char']:.3f})"
            ngram = f"{m['ngram_val_loss_nats']:.4f}"
        lines.append(f"| {task} | {m['split']} | {rnn} | {ngram} | {m['ngram_order']}-gram "
                     f"{m['ngram_smoothing']} | {layers(params['train_lm'][task])}; "
                     f"{params['lm_sequences'][task]['recipe']} |")
    return lines


def translation(params: dict) -> list[str]:
    lines = ["", "## Translation", "",
             "Test split, corpus-level sacrebleu; the baseline returns the English side of the "
             "training pair sharing the most Portuguese words.", "",
             "| task | BLEU | chrF | token accuracy | baseline BLEU | baseline chrF | model |",
             "|---|---|---|---|---|---|---|"]
    for task in params.get("evaluate_translation", {}):
        m, t = read_json(paths.metrics(task)), params["train_translation"][task]
        model = (("Bi-" if t["bidirectional"] else "") + f"{t['cell'].upper()}({t['units']}) "
                 + (f"{t['attention']} attention" if t["architecture"] == "attention"
                    else "encoder-decoder, no attention"))
        lines.append(f"| {task} | {m['bleu']:.2f} | {m['chrf']:.2f} | {m['token_accuracy']:.4f} "
                     f"| {m['baseline_bleu']:.2f} | {m['baseline_chrf']:.2f} | {model} |")
    return lines


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
    lines += language_models(params) + translation(params)
    write_text(paths.METRICS / f"{target}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    run(main)
