"""A task's classifier trained from its params, from scratch or from a pretrained language model,
and saved with what inference needs in models/<task>/."""

from __future__ import annotations

import time

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.model_folder import save_model_folder
from rnnlab.tasks import fit, transfer
from rnnlab.tasks.classify import data, model
from rnnlab.tasks.classify.params import FinetuneParams, SequencesParams, TrainParams
from rnnlab.tasks.layers import layer_specs
from rnnlab.text.vocab import Vocab


def train_classifier(task: str, section: str, params: TrainParams, seq: SequencesParams) -> None:
    """Build, (start from the pretraining,) fit and save `section.task`'s classifier."""
    fit.set_seeds(params.seed, params.deterministic)
    arrays = load_npz(paths.sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    glove = load_npz(paths.embeddings(task))["matrix"] if params.embedding != "learned" else None
    label_names = arrays["label_names"].tolist()
    strategy = fit.make_strategy(params)
    with strategy.scope():
        classifier = model.build_classifier(params, len(vocab), len(label_names), glove)
        frozen = start_from_pretraining(classifier, vocab, f"{section}.{task}", params)
    classifier.summary(print_fn=print)

    train = data.train_dataset(arrays["x_train"], arrays["y_train"], arrays["len_train"], params,
                               seq.padding)
    val = data.eval_dataset(arrays["x_val"], arrays["y_val"], arrays["len_val"],
                            4 * params.batch_size, seq.padding)
    weights = (data.class_weights(arrays["y_train"], len(label_names))
               if params.class_weight == "balanced" else None)
    start = time.perf_counter()
    history = fit.fit(classifier, train, val, params, paths.train_plots(task),
                      paths.backup(section, task), weights, frozen,
                      getattr(params, "freeze_epochs", 0), strategy)
    trained = fit.history_summary(history, time.perf_counter() - start)
    if not fit.is_chief(strategy):
        return  # the chief saves the model
    save_model_folder(paths.model_dir(task), classifier, "classify", {
        "task": task, "label_names": label_names, "maxlen": seq.maxlen, "padding": seq.padding,
        "truncating": seq.truncating, "unknown": seq.unknown, **trained}, {"vocab.json": vocab})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")


def start_from_pretraining(classifier: object, vocab: Vocab, entry: str,
                           params: TrainParams) -> list[str]:
    """Copy a fine-tuning's pretrained layers in; the names of those copied (none otherwise)."""
    if not isinstance(params, FinetuneParams):
        return []
    pretrained, source, meta = transfer.load_pretrained(paths.pretrained(params.pretrained))
    specs = layer_specs(params.cell, params.units, params.bidirectional, params.layers)
    transfer.check_stack(entry, params.pretrained,
                         transfer.stack_description(params.embedding_dim, specs), meta["stack"])
    return transfer.copy_pretrained(classifier, pretrained, vocab, source, entry)
