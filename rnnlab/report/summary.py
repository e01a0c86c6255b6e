"""RESULTS.md: every task's headline numbers beside the params that gave them; and the README's
one results table, between its markers, so no number there is ever typed by hand."""

from __future__ import annotations

from typing import Any

from rnnlab.core import paths
from rnnlab.core.errors import DataError
from rnnlab.core.files import read_json
from rnnlab.core.params import from_mapping
from rnnlab.core.samples import markdown_table
from rnnlab.tasks.classify.params import TRAINING_SECTIONS as CLASSIFY
from rnnlab.tasks.layers import describe
from rnnlab.tasks.lm.params import TRAINING_SECTIONS as LANGUAGE_MODEL
from rnnlab.tasks.lm.pretrain import PretrainParams
from rnnlab.tasks.translate.params import TRAINING_SECTIONS as TRANSLATE

Params = dict[str, dict[str, dict]]  # resolved entries: {section: {name: values}}
# The resolved sections the summary reads: each family's training sections and its others.
READS = ("sequences", "evaluate", "combine", *CLASSIFY, "lm_sequences", "evaluate_lm",
         *LANGUAGE_MODEL, "evaluate_translation", *TRANSLATE, "pretrain")


def training_entry(params: Params, sections: dict[str, type], task: str) -> Any:
    """A task's training entry, in whichever of its family's training sections holds it (from
    scratch or fine-tuned, with `pretrained`), as its schema reads it."""
    for section, schema in sections.items():
        if task in params.get(section, {}):
            return from_mapping(schema, params[section][task], f"{section}.{task}")
    raise DataError(f"data/params: no training entry for {task} in {', '.join(sections)}")


def pretrained_from(entry: Any) -> str | None:
    return getattr(entry, "pretrained", None)


def classifier_description(train: Any, sequences: dict) -> str:
    embedding = (f"from pretrain.{pretrained_from(train)}" if pretrained_from(train)
                 else train.embedding)
    extras = [embedding, f"maxlen {sequences['maxlen']}"]
    if train.pooling != "last":
        extras.append(f"{train.pooling}-pooled")
    if train.conv_filters:
        extras.append(f"Conv1D({train.conv_filters})")
    return f"{describe(train.specs)}; " + ", ".join(extras)


BASELINE_MODELS = {"tfidf": "TF-IDF + linear SVM", "nbsvm": "NBSVM"}


def baseline_model(metrics: dict) -> str:
    """The classical peer the baseline stage picked on validation (before NBSVM: TF-IDF)."""
    return BASELINE_MODELS[metrics.get("baseline_model", "tfidf")]


def classification(params: Params) -> list[str]:
    rows = []
    for task in params.get("evaluate", {}):
        m = read_json(paths.metrics(task))
        rows.append([task, f"{m['accuracy']:.4f}", f"{m['macro_f1']:.4f}",
                     f"{m['baseline_accuracy']:.4f}", f"{m['baseline_macro_f1']:.4f}",
                     baseline_model(m),
                     classifier_description(training_entry(params, CLASSIFY, task),
                                            params["sequences"][task])])
    return [markdown_table(["task", "accuracy", "macro F1", "baseline accuracy",
                            "baseline macro F1", "baseline model", "model"], rows),
            "Baseline: the better on validation of TF-IDF word n-grams with a linear SVM and "
            "NBSVM (Wang & Manning 2012: naive-Bayes-scaled binary word n-grams, linear SVM), "
            "each with C chosen on validation (`baseline` section), fit on the same training "
            "split; `metrics/<task>.json` has both (`tfidf_*`, `nbsvm_*`).", ""]


def combined(params: Params) -> list[str]:
    """The `combine` stage's rows: a table of their own under the models', so the mixture is
    never read as the recurrent model's number."""
    rows = []
    for task in params.get("combine", {}):
        m = read_json(paths.combine_metrics(task))
        rows.append([task, f"{m['accuracy']:.4f}", f"{m['macro_f1']:.4f}", f"{m['weight']:g}",
                     f"{m['val_accuracy']:.4f}", f"{m['rnn_accuracy']:.4f}",
                     f"{m['baseline_accuracy']:.4f}", baseline_model(m)])
    if not rows:
        return []
    return ["## Recurrent model + classical baseline, combined", "",
            "Not the recurrent model's result: each model's scores (the recurrent model's "
            "log-probabilities, the baseline's decision scores) standardized on validation and "
            "mixed as (1 - w) · recurrent + w · baseline, w picked by validation accuracy from "
            "`combine.<task>.weights`; test accuracy and macro F1 of the mixture, beside each "
            "model's own (`metrics/combine/<task>.json`).", "",
            markdown_table(["task", "combined accuracy", "combined macro F1", "w",
                            "combined val accuracy", "recurrent alone", "baseline alone",
                            "baseline model"], rows), ""]


def language_models(params: Params) -> list[str]:
    rows = []
    for task in params.get("evaluate_lm", {}):
        m = read_json(paths.metrics(task))
        t = training_entry(params, LANGUAGE_MODEL, task)
        word = "perplexity" in m
        if word:
            rnn, ngram = f"{m['perplexity']:.2f}", f"{m['ngram_perplexity']:.2f}"
        else:
            rnn = f"{m['val_loss_nats']:.4f} ({m['bits_per_char']:.3f})"
            ngram = f"{m['ngram_val_loss_nats']:.4f}"
        model = describe(t.specs)
        if pretrained_from(t):
            model += f" from pretrain.{t.pretrained}"
        rows.append([task, m["split"], rnn, ngram,
                     f"{m['ngram_order']}-gram {m['ngram_smoothing']}",
                     f"{model}; {params['lm_sequences'][task]['recipe']}", *beside(m, word)])
    return ["## Language models", "",
            "Held-out text (`evaluate_lm.<task>.split`), every token and line end counted. Word "
            "models: perplexity; character models: nats per character (bits in brackets). "
            "The recurrent model's static score is the headline; beside it, not in its place: "
            "dynamic evaluation (gradient steps on the held-out text already scored), and the "
            "recurrent model mixed with a Kneser-Ney model, its weight chosen on the first half "
            "of the held-out tokens, all three scored on the second half (recurrent alone / "
            "mixed / n-gram alone).", "",
            markdown_table(["task", "split", "recurrent model", "best n-gram", "n-gram model",
                            "model", "dynamic evaluation", "second half: alone / + KN / KN"],
                           rows)]


def beside(m: dict, word: bool) -> list[str]:
    """The dynamic and the interpolated scores of an LM's metrics ("-" where not asked for)."""
    loss = "perplexity" if word else "val_loss_nats"
    shown = (lambda v: f"{v:.2f}") if word else (lambda v: f"{v:.4f}")
    dynamic = m.get(f"{loss}_dynamic")
    halves = [m.get(f"{loss}_second_half"), m.get(f"{loss}_interpolated"),
              m.get(f"ngram_{loss}_second_half")]
    return [shown(dynamic) if dynamic is not None else "-",
            " / ".join(map(shown, halves)) if None not in halves else "-"]


def translation(params: Params) -> list[str]:
    rows = []
    for task in params.get("evaluate_translation", {}):
        m = read_json(paths.metrics(task))
        t = training_entry(params, TRANSLATE, task)
        model = (("Bi-" if t.bidirectional else "") + f"{t.cell.upper()}({t.units}) "
                 + (f"{t.attention} attention" if t.architecture == "attention"
                    else "encoder-decoder, no attention"))
        if pretrained_from(t):
            model += f"; decoder from pretrain.{t.pretrained}"
        rows.append([task, f"{m['bleu']:.2f}", f"{m['chrf']:.2f}", f"{m['token_accuracy']:.4f}",
                     f"{m['baseline_bleu']:.2f}", f"{m['baseline_chrf']:.2f}", model])
    return ["## Translation", "",
            "Test split, corpus-level sacrebleu; the baseline returns the English side of the "
            "training pair sharing the most Portuguese words.", "",
            markdown_table(["task", "BLEU", "chrF", "token accuracy", "baseline BLEU",
                            "baseline chrF", "model"], rows)]


def pretraining(params: Params) -> list[str]:
    rows = []
    for name, values in params.get("pretrain", {}).items():
        m = read_json(paths.pretrain_metrics(name))
        entry = from_mapping(PretrainParams, values, f"pretrain.{name}")
        model = describe(entry.specs)
        rows.append([name, f"{entry.pool} ({', '.join(entry.splits)})",
                     f"{m['train_tokens']:,}", f"{m['vocab_size']:,}", f"{m['val_perplexity']:.2f}",
                     f"{m['train_seconds']:.0f}", model])
    return ["", "## Pretrained language models", "",
            "Validation perplexity per token on the pool's held-out part; tasks in `finetune`, "
            "`finetune_lm` and `finetune_translation` start from these.", "",
            markdown_table(["pretraining", "pool", "train tokens", "vocabulary",
                            "val perplexity", "train seconds", "model"], rows)]


def summary_markdown(params: Params) -> str:
    lines = ["# Results", "",
             "Test-set metrics of the last `dvc repro`, with the params that produced them.", ""]
    lines += classification(params) + combined(params) + language_models(params)
    lines += translation(params)
    lines += pretraining(params)
    return "\n".join(lines)


README_BEGIN = ("<!-- BEGIN results: written by the summary stage (dvc repro summary) from "
                "metrics/; do not edit -->")
README_END = "<!-- END results -->"


def headline_rows(params: Params) -> list[list[str]]:
    """One row per task: its headline metric, the recurrent model's value in bold (the cell a
    reader and the README check look at first), the classical baseline's beside it."""
    rows = []
    for task in sorted(params.get("evaluate", {})):  # one order, however params were read
        m = read_json(paths.metrics(task))
        rows.append([task, "test accuracy", f"**{m['accuracy']:.4f}**",
                     f"{m['baseline_accuracy']:.4f}", baseline_model(m)])
    for task in sorted(params.get("evaluate_lm", {})):
        m = read_json(paths.metrics(task))
        smoothing = {"kneser_ney": "Kneser-Ney", "add_k": "add-k"}.get(m["ngram_smoothing"],
                                                                        m["ngram_smoothing"])
        ngram = f"{m['ngram_order']}-gram {smoothing}"
        if "perplexity" in m:
            rows.append([task, f"{m['split']} perplexity", f"**{m['perplexity']:.2f}**",
                         f"{m['ngram_perplexity']:.2f}", ngram])
        else:
            rows.append([task, f"{m['split']} nats per character",
                         f"**{m['val_loss_nats']:.4f}**", f"{m['ngram_val_loss_nats']:.4f}", ngram])
    for task in sorted(params.get("evaluate_translation", {})):
        m = read_json(paths.metrics(task))
        rows.append([task, "test BLEU", f"**{m['bleu']:.2f}**", f"{m['baseline_bleu']:.2f}",
                     "retrieval (most shared words)"])
    return rows


def readme_block(params: Params) -> str:
    """The lines between the README's markers: every task's headline, lower is better for the
    language models."""
    table = markdown_table(["task", "metric", "rnnlab (recurrent)", "classical baseline",
                            "baseline model"], headline_rows(params))
    return (f"{table.rstrip()}\n\nPerplexity and nats: lower is better. Models, macro F1 and the "
            "pretrainings: [RESULTS.md](RESULTS.md); per task: `metrics/<task>.json`.")


def with_readme_block(text: str, block: str, where: str) -> str:
    """`text` with the lines between its one pair of markers replaced by `block`; a missing,
    duplicated or misordered marker is a one-line `DataError` naming it."""
    lines = text.split("\n")
    found = {}
    for marker in (README_BEGIN, README_END):
        at = [i for i, line in enumerate(lines) if line.strip() == marker]
        if len(at) != 1:
            raise DataError(f"{where}: {len(at)} lines `{marker}`, expected exactly one")
        found[marker] = at[0]
    begin, end = found[README_BEGIN], found[README_END]
    if end < begin:
        raise DataError(f"{where}: `{README_END}` comes before `{README_BEGIN}`")
    return "\n".join(lines[:begin + 1] + [block] + lines[end:])
