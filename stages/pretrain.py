"""Pretrain a windows language model on a pool of text; save it in models/pretrain/<name>/ and
its validation perplexity in metrics/pretrain/<name>.json."""

import math
import time

from rnnlab.core import paths
from rnnlab.core.files import read_table, write_json
from rnnlab.core.model_folder import save_model_folder
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import LMSequencesParams
from rnnlab.tasks.lm.pretrain import PretrainParams, pool_texts, pool_vocab, stack, streams


def main(name: str) -> None:
    params = load_entry("pretrain", name, PretrainParams)
    table = read_table(paths.prepared(params.pool))
    train_text, val_text = pool_texts(table, params, str(paths.prepared(params.pool)))
    vocab = pool_vocab(train_text, params)
    stream_train, stream_val = streams(train_text, val_text, vocab)
    print(f"{name}: {len(train_text)} + {len(val_text)} rows pooled from {params.pool} "
          f"({', '.join(params.splits)}); {len(stream_train)} + {len(stream_val)} tokens, "
          f"vocabulary {len(vocab)}")
    from rnnlab.tasks import fit  # TensorFlow loads only once the params are valid
    from rnnlab.tasks.lm import data, model

    fit.set_seeds(params.seed, params.deterministic)
    strategy = fit.make_strategy(params)
    with strategy.scope():
        lm = model.build_language_model(params, len(vocab), many_to_many=True)
    lm.summary(print_fn=print)
    seq = LMSequencesParams(recipe="windows", sentence_size=params.sentence_size, step=params.step)
    train = data.windows_dataset(stream_train, seq, params.batch_size, params.seed,
                                 params.epoch_windows)
    x_val, y_val = data.held_out_windows(stream_val, params.sentence_size)
    whole = (y_val != 0).all(axis=1)  # the padded last window would count padding as loss
    val = data.arrays_dataset(x_val[whole], y_val[whole], params.batch_size, seed=None)
    start = time.perf_counter()
    history = fit.fit(lm, train, val, params, paths.pretrain_plots(name),
                      paths.backup("pretrain", name), strategy=strategy)
    trained = fit.history_summary(history, time.perf_counter() - start)
    if not fit.is_chief(strategy):
        return  # the chief writes the outputs
    save_model_folder(paths.pretrained(name), lm, "lm", {
        "task": f"pretrain/{name}", "recipe": "windows", "context": params.sentence_size,
        "level": vocab.level, "stack": stack(params), **trained}, {"vocab.json": vocab})
    nats = trained["best_val_loss"]
    write_json(paths.pretrain_metrics(name), {
        "val_nats_per_token": nats, "val_perplexity": round(math.exp(nats), 3),
        "pool_rows": len(train_text) + len(val_text), "train_tokens": len(stream_train),
        "val_tokens": len(stream_val), "vocab_size": len(vocab), **trained})
    print(f"{name}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"validation perplexity {math.exp(nats):.2f}")


if __name__ == "__main__":
    run(main)
