"""Train a task's recurrent language model; save it with its vocabulary in models/<task>/."""

import time

from rnnlab.core import paths
from rnnlab.core.files import load_npz
from rnnlab.core.model_folder import save_model_folder
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import LMSequencesParams, TrainLMParams
from rnnlab.text.vocab import Vocab


def main(task: str) -> None:
    params = load_entry("train_lm", task, TrainLMParams)
    seq = load_entry("lm_sequences", task, LMSequencesParams)
    from rnnlab.tasks import fit  # TensorFlow loads only once the params are valid
    from rnnlab.tasks.lm import data, model

    fit.set_seeds(params.seed, params.deterministic)
    arrays = load_npz(paths.lm_sequences(task))
    vocab = Vocab.load(paths.vocab(task))
    windows = seq.recipe == "windows"
    lm = model.build_language_model(params, len(vocab), many_to_many=windows)
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
    history = fit.fit(lm, train, val, params, paths.train_plots(task))
    trained = fit.history_summary(history, time.perf_counter() - start)
    context = seq.sentence_size if windows else arrays["x_train"].shape[1]
    save_model_folder(paths.model_dir(task), lm, "lm", {
        "task": task, "recipe": seq.recipe, "context": context, "level": vocab.level,
        **trained}, {"vocab.json": vocab})
    print(f"{task}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}")


if __name__ == "__main__":
    run(main)
