"""Score a language model on held-out text beside the best n-gram model, and write samples.

Word models report perplexity; character models loss in nats and bits per character. Both
count exactly the held-out stream's tokens (every word or character and every line end), which
is what the n-gram table in data/ngram/<task>.json measures too.
"""

import math

from rnnlab import paths
from rnnlab.config import EvaluateLMParams, load_params
from rnnlab.fileio import load_npz, read_json, write_json, write_text
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("evaluate_lm", task, EvaluateLMParams)
    from rnnlab.generator import Generator, mean_nll  # TensorFlow loads once params are valid
    from rnnlab.language_model import held_out_windows

    generator = Generator(paths.model(task).parent)
    data = load_npz(paths.lm_sequences(task))
    split = params.split
    if f"stream_{split}" not in data:
        raise ValueError(f"params.yaml: evaluate_lm.{task}.split: the corpus has no {split} split")
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
    write_text(paths.METRICS / "samples" / f"{task}.md", samples_markdown(generator, params))
    print(paths.metrics(task).read_text())


def samples_markdown(generator, params: EvaluateLMParams) -> str:
    """One generated text per prompt, each with its own fixed seed."""
    unit = "characters" if generator.vocab.level == "char" else "words"
    lines = [f"Generated with temperature {params.temperature}, top-k {params.top_k}, "
             f"{params.sample_length} {unit} per sample.", ""]
    top_k = min(params.top_k, len(generator.vocab) - 2)  # a small vocabulary: all of it
    for number, prompt in enumerate(params.prompts):
        seed = params.seed + number
        text = generator.generate(prompt, params.sample_length, params.temperature, top_k, seed)
        lines += [f"### prompt {prompt!r}, seed {seed}", "", "```", text, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    run(main)
