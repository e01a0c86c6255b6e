"""Score a language model on held-out text beside the best n-gram model, and write samples.

Word models report perplexity; character models loss in nats and bits per character. Both
count exactly the held-out stream's tokens (every word or character and every line end), which
is what the n-gram table in data/ngram/<task>.json measures too. The static loss is the
headline; a dynamic-evaluation loss and an RNN + Kneser-Ney interpolation, where the entry asks
for them, are written beside it under their own names (rnnlab.tasks.lm.scores).
"""

from rnnlab.core import paths
from rnnlab.core.errors import ParamsError
from rnnlab.core.files import load_npz, read_json, write_json, write_text
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import EvaluateLMParams
from rnnlab.tasks.lm.scores import (
    check_dynamic,
    dynamic_scores,
    interpolation_scores,
    kneser_ney_discount,
    static_scores,
)


def main(task: str) -> None:
    params = load_entry("evaluate_lm", task, EvaluateLMParams)
    check_dynamic(task, params)
    discount = kneser_ney_discount(task, params)
    from rnnlab.tasks.lm.data import held_out_windows  # TensorFlow loads once params are valid
    from rnnlab.tasks.lm.generate import Generator, samples_markdown, token_logprobs

    generator = Generator(paths.model_dir(task))
    data = load_npz(paths.lm_sequences(task))
    split = params.split
    if f"stream_{split}" not in data:
        raise ParamsError(f"evaluate_lm.{task}.split: the corpus has no {split} split")
    if generator.recipe == "windows":
        x, y = held_out_windows(data[f"stream_{split}"], params.eval_window)
    else:
        x, y = data[f"x_{split}"], data[f"y_{split}"]
    logp = token_logprobs(generator.model, x, y, params.batch_size)
    char = generator.vocab.level == "char"
    best = read_json(paths.ngram_table(task))["best"][split]
    scores = {"split": split, "epochs_run": generator.meta["epochs_run"],
              **static_scores(char, logp, best, split),
              **dynamic_scores(char, generator.model, x, y, params),
              **interpolation_scores(char, logp, data, split, generator.vocab,
                                     params.interpolation_order, discount)}
    write_json(paths.metrics(task), scores)
    write_text(paths.samples(task), samples_markdown(generator, params))
    print(paths.metrics(task).read_text())


if __name__ == "__main__":
    run(main)
