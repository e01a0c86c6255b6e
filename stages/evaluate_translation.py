"""Score a translation model on the test split: BLEU, chrF, token accuracy, the retrieval
baseline beside them, and sample translations."""

import time

import pandas as pd

from rnnlab import paths
from rnnlab.config import TranslationEvalParams, load_params
from rnnlab.fileio import write_json, write_text
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("evaluate_translation", task, TranslationEvalParams)
    from rnnlab import translation  # TensorFlow loads only once the params are valid

    translator = translation.Translator(paths.model(task).parent)
    translation.check_eval_params(params, translator.meta)
    pairs = pd.read_parquet(paths.prepared(params.data))
    test = pairs[pairs["split"] == "test"]
    sources, references = translation.references_by_source(test)

    start = time.perf_counter()
    x = translation.encode_sources(sources, translator.source)
    hypotheses = translator.translate_ids(x, params.beam_width, params.length_penalty,
                                          params.max_output_len, params.batch_size)
    seconds = time.perf_counter() - start
    greedy = translator.translate_ids(x, 1, 0.0, params.max_output_len, params.batch_size)
    baseline = translation.retrieval_baseline(pairs[pairs["split"] == "train"], sources)

    scores = translation.corpus_scores(hypotheses, references)
    scores |= {f"greedy_{k}": v for k, v in
               translation.corpus_scores(greedy, references).items()}
    scores |= {f"baseline_{k}": v for k, v in
               translation.corpus_scores(baseline, references).items()}
    scores |= translation.token_accuracy(translator.model, test, translator.source,
                                         translator.target, params.batch_size)
    scores |= {"test_sentences": len(sources), "test_pairs": len(test),
               "epochs_run": translator.meta["epochs_run"]}
    write_json(paths.metrics(task), scores)
    write_text(paths.METRICS / "samples" / f"{task}.md",
               translation.samples_markdown(sources, hypotheses, references, params.samples))
    print(paths.metrics(task).read_text(), end="")
    print(f"{task}: decoded {len(sources)} test sentences (beam {params.beam_width}) in "
          f"{seconds:.1f} s")


if __name__ == "__main__":
    run(main)
