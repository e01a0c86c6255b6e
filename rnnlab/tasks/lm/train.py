"""A task's recurrent language model trained from its params, from scratch or from a pretrained
one, and saved with its vocabulary in models/<task>/."""

from __future__ import annotations

import time

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.model_folder import save_model_folder
from rnnlab.tasks import fit, transfer
from rnnlab.tasks.layers import layer_specs
from rnnlab.tasks.lm import data, model
from rnnlab.tasks.lm.params import FinetuneLMParams, LMSequencesParams, TrainLMParams
from rnnlab.text.vocab import Vocab


def train_language_model(task: str, section: str, params: TrainLMParams,
                         seq: LMSequencesParams) -> None:
    """Build, (start from the pretraining,) fit and save `section.task`'s language model."""
    fit.set_seeds(params.seed, params.deterministic)
    arrays = load_npz(paths.lm_sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    windows = seq.recipe == "windows"
    strategy = fit.make_strategy(params)
    with strategy.scope():
        lm = model.build_language_model(params, len(vocab), many_to_many=windows)
        frozen = start_from_pretraining(lm, vocab, f"{section}.{task}", params)
    lm.summary(print_fn=print)
    if windows:
        train = data.windows_dataset(arrays["stream_train"], seq, params.batch_size, params.seed)
        x_val, y_val = data.held_out_windows(arrays["stream_val"], seq.sentence_size)
        whole = (y_val != 0).all(axis=1)  # the padded last window would count padding as loss
        val = data.arrays_dataset(x_val[whole], y_val[whole], params.batch_size, seed=None)
    else:
        train = data.arrays_dataset(arrays["x_train"], arrays["y_train"], params.batch_size,
                                    params.seed)
        val = data.arrays_dataset(arrays["x_val"], arrays["y_val"], params.batch_size, seed=None)

    start = time.perf_counter()
    history = fit.fit(lm, train, val, params, paths.train_plots(task), paths.backup(section, task),
                      frozen=frozen, freeze_epochs=getattr(params, "freeze_epochs", 0),
                      strategy=strategy)
    trained = fit.history_summary(history, time.perf_counter() - start)
    if not fit.is_chief(strategy):
        return  # the chief saves the model
    context = seq.sentence_size if windows else arrays["x_train"].shape[1]
    save_model_folder(paths.model_dir(task), lm, "lm", {
        "task": task, "recipe": seq.recipe, "context": context, "level": vocab.level,
        **trained}, {"vocab.json": vocab})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")


def start_from_pretraining(lm: object, vocab: Vocab, entry: str,
                           params: TrainLMParams) -> list[str]:
    """Copy a fine-tuning's pretrained layers in, output columns too; the names of those copied
    (none without a pretraining)."""
    if not isinstance(params, FinetuneLMParams):
        return []
    pretrained, source, meta = transfer.load_pretrained(paths.pretrained(params.pretrained))
    specs = layer_specs(params.cell, params.units, params.bidirectional)
    transfer.check_stack(entry, params.pretrained,
                         transfer.stack_description(params.embedding_dim, specs), meta["stack"])
    return transfer.copy_pretrained(lm, pretrained, vocab, source, entry, output_layer="logits")
