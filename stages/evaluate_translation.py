"""Score a translation model on the test split: BLEU, chrF, token accuracy, the retrieval
baseline beside them, and sample translations."""

import time

from rnnlab.core import paths
from rnnlab.core.files import read_table, write_json, write_text
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.translate import score
from rnnlab.tasks.translate.params import TranslationEvalParams


def main(task: str) -> None:
    params = load_entry("evaluate_translation", task, TranslationEvalParams)
    from rnnlab.tasks.translate.data import encode_sources  # TensorFlow loads once params are ok
    from rnnlab.tasks.translate.decode import Translator

    translator = Translator(paths.model_dir(task))
    score.check_eval_params(params, translator.meta)
    pairs = read_table(paths.prepared(params.data))
    test = pairs[pairs["split"] == "test"]
    sources, references = score.references_by_source(test)

    start = time.perf_counter()
    x = encode_sources(sources, translator.source)
    hypotheses = translator.translate_ids(x, params.beam_width, params.length_penalty,
                                          params.max_output_len, params.batch_size)
    seconds = time.perf_counter() - start
    greedy = translator.translate_ids(x, 1, 0.0, params.max_output_len, params.batch_size)
    baseline = score.retrieval_baseline(pairs[pairs["split"] == "train"], sources)

    scores = score.corpus_scores(hypotheses, references)
    scores |= {f"greedy_{k}": v for k, v in score.corpus_scores(greedy, references).items()}
    scores |= {f"baseline_{k}": v for k, v in score.corpus_scores(baseline, references).items()}
    scores |= score.token_accuracy(translator.model, test, translator.source, translator.target,
                                   params.batch_size)
    scores |= {"test_sentences": len(sources), "test_pairs": len(test),
               "epochs_run": translator.meta["epochs_run"]}
    write_json(paths.metrics(task), scores)
    write_text(paths.samples(task),
               score.samples_markdown(sources, hypotheses, references, params.samples))
    print(paths.metrics(task).read_text(), end="")
    print(f"{task}: decoded {len(sources)} test sentences (beam {params.beam_width}) in "
          f"{seconds:.1f} s")


if __name__ == "__main__":
    run(main)
