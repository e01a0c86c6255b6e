"""Score a language model on held-out text beside the best n-gram model, and write samples.

Word models report perplexity; character models loss in nats and bits per character. Both
count exactly the held-out stream's tokens (every word or character and every line end), which
is what the n-gram table in data/ngram/<task>.json measures too.
"""

import math

from rnnlab.core import paths
from rnnlab.core.errors import ParamsError
from rnnlab.core.files import load_npz, read_json, write_json, write_text
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import EvaluateLMParams


def main(task: str) -> None:
    params = load_entry("evaluate_lm", task, EvaluateLMParams)
    from rnnlab.tasks.lm.data import held_out_windows  # TensorFlow loads once params are valid
    from rnnlab.tasks.lm.generate import Generator, mean_nll, samples_markdown

    generator = Generator(paths.model_dir(task))
    data = load_npz(paths.lm_sequences(task))
    split = params.split
    if f"stream_{split}" not in data:
        raise ParamsError(f"evaluate_lm.{task}.split: the corpus has no {split} split")
    if generator.recipe == "windows":
        x, y = held_out_windows(data[f"stream_{split}"], params.eval_window)
    else:
        x, y = data[f"x_{split}"], data[f"y_{split}"]
    nll, tokens = mean_nll(generator.model, x, y, params.batch_size)
    best = read_json(paths.ngram_table(task))["best"][split]
    ngram_nll = best[f"{split}_nll"]
    scores = {"split": split, "tokens": tokens, "epochs_run": generator.meta["epochs_run"],
              "ngram_order": best["order"], "ngram_smoothing": best["smoothing"]}
    if generator.vocab.level == "char":
        scores |= {"val_loss_nats": nll, "bits_per_char": nll / math.log(2),
                   "ngram_val_loss_nats": ngram_nll}
    else:
        scores |= {"loss_nats": nll, "perplexity": math.exp(nll),
                   "ngram_perplexity": math.exp(ngram_nll) if ngram_nll is not None else None}
    write_json(paths.metrics(task), scores)
    write_text(paths.samples(task), samples_markdown(generator, params))
    print(paths.metrics(task).read_text())


if __name__ == "__main__":
    run(main)
