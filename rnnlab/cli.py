"""`rnnlab`: use the trained models from the command line.

    rnnlab predict --task imdb "a gripping, beautifully shot film"
    rnnlab predict --task imdb --file reviews.txt     # one text per line
    echo "dull and far too long" | rnnlab predict --task imdb
    rnnlab generate --task sonnets --prompt "despite of wrinkles" --words 20 --top-k 40
    rnnlab generate --task shakespeare_char --prompt "ROMEO:" --chars 300 --temperature 0.8
    rnnlab score --task sonnets "from fairest creatures"
    rnnlab translate "Eu gosto de ler livros." --beam 5    # --task por_eng by default
    rnnlab export --task imdb     # a SavedModel that reads raw text, in exports/imdb/

Texts come from the arguments, else from --file, else from standard input, one per line.
Which texts are refused, and how, is one rule for every command and for the exported
SavedModel, written in docs/serving.md, "Text rules": a refused text gets its own line on
standard error naming it ("text 2", "FILE: line 2"), an empty line on standard output, the
others are still answered, and the exit status is then 1.
A closed output pipe (rnnlab predict ... | head -1) ends the command quietly, with status 141
(128 + SIGPIPE, as other commands killed by a closed pipe). --task must name a task of
params.yaml or a trained model in the models folder. export --out must be a new or empty folder,
or one that export wrote before (marked by its rnnlab-export.json) holding nothing else; a
symbolic link or an empty --out is refused.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rnnlab.cli_input import TextsRefused, check_prompt, check_task, read_texts, repository
from rnnlab.cli_process import import_keras, quiet_stderr, stdout_to_devnull
from rnnlab.core import paths
from rnnlab.core.errors import RnnlabError, UsageError

# generate prints its text as it goes, a step per token: these bound a call to minutes
MAX_WORDS, MAX_CHARS = 10_000, 50_000
MODELS_HELP = "folder of trained models (default: models/ of the repository you are in)"
EXPORTS = Path("exports")  # git-ignored; not under models/, whose task folders DVC owns
PIPE_CLOSED = 141  # the exit status of a command killed by SIGPIPE: 128 + 13


def predict(args: argparse.Namespace) -> None:
    from rnnlab.tasks.classify.predict import Classifier

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    check_task(args, "classify")
    batch = read_texts(args)
    batch.stop_if_all_refused()
    import_keras()
    classifier = Classifier(Path(args.models) / args.task)
    batch.check_tokens(classifier.vocab, "{name} has no words after standardization ({text!r})")
    good = batch.good()
    probabilities = classifier.probabilities([text for _, text in good]) if good else []
    names, answers = classifier.label_names, {}
    for (index, _), row in zip(good, probabilities, strict=True):
        top = row.argsort()[::-1][: min(args.top, len(names))]
        if len(names) == 2:
            top = top[:1]
        answers[index] = "\t".join(f"{names[i]}\t{row[i]:.4f}" for i in top)
    batch.answer(answers)


def generate(args: argparse.Namespace) -> None:
    import math

    from rnnlab.tasks.lm.generate import Generator

    check_prompt(args.prompt)
    if not math.isfinite(args.temperature):
        raise UsageError(f"temperature must be a finite number ≥ 0 (0: greedy), got "
                         f"{args.temperature}")
    check_task(args, "lm")
    import_keras()
    generator = Generator(Path(args.models) / args.task)
    char_model = generator.vocab.level == "char"
    if (args.words is not None and char_model) or (args.chars is not None and not char_model):
        unit = "characters: use --chars" if char_model else "words: use --words"
        raise UsageError(f"{args.task} generates {unit}")
    length, most = (args.chars, MAX_CHARS) if char_model else (args.words, MAX_WORDS)
    if length is not None and not 1 <= length <= most:
        raise UsageError(f"--{'chars' if char_model else 'words'} must be from 1 to {most:,}, "
                         f"got {length}")
    length = length if length is not None else (200 if char_model else 20)
    for piece in generator.stream(args.prompt, length, args.temperature, args.top_k, args.seed):
        sys.stdout.write(piece)
        sys.stdout.flush()  # each word as it is drawn, not all of them at the end
    print()


def score(args: argparse.Namespace) -> None:
    """P(sentence) under the task's n-gram model, read as a line: each token given the ones
    before it (the first given a line start), then the end of the line."""
    from rnnlab.tasks.lm.ngram_eval import load_scorer, score_report

    check_task(args, "ngram")
    batch = read_texts(args)
    batch.stop_if_all_refused()
    model, vocab = load_scorer(Path(args.models) / "ngram" / f"{args.task}.npz")
    batch.check_tokens(vocab, "{name} has no tokens after standardization")
    batch.answer({index: score_report(model, vocab, vocab.tokenize(text),  # echoed on one line
                                      text.replace("\r", " ").replace("\n", " "))
                  for index, text in batch.good()})


def translate(args: argparse.Namespace) -> None:
    """One translation per line; decoding settings from `evaluate_translation.<task>`."""
    from rnnlab.core.files import read_json
    from rnnlab.core.params import from_mapping
    from rnnlab.tasks.translate.decode import TranslationInputError, Translator
    from rnnlab.tasks.translate.params import TranslationEvalParams

    check_task(args, "translate")
    path = args.repository / paths.params_entry("evaluate_translation", args.task)
    if not path.is_file():
        raise UsageError(f"{path}: missing (run `dvc repro params` or `dvc pull`)")
    params = from_mapping(TranslationEvalParams, read_json(path),
                          f"{path}: evaluate_translation.{args.task}")
    beam = params.beam_width if args.beam is None else args.beam
    if beam < 1:
        raise UsageError(f"--beam must be at least 1, got {beam}")
    batch = read_texts(args)
    batch.stop_if_all_refused()
    import_keras()
    translator = Translator(Path(args.models) / args.task)
    for index, text in batch.good():
        try:
            translator.encode_texts([text], params.max_input_words, [batch.names[index]])
        except TranslationInputError as err:
            batch.refuse(index, str(err))
    good = batch.good()
    lines = translator.translate([text for _, text in good], beam, params.length_penalty,
                                 params.max_output_len, params.max_input_words,
                                 params.batch_size) if good else []
    batch.answer({index: line for (index, _), line in zip(good, lines, strict=True)})


def export(args: argparse.Namespace) -> None:
    """A classifier as a SavedModel for TensorFlow Serving; prints the folder it wrote."""
    from rnnlab.tasks.classify.export import export_classifier

    if args.out == "":
        raise UsageError("--out is empty (expected a folder; leave --out out for "
                         f"{EXPORTS / args.task}/ of the repository)")
    check_task(args, "classify")
    out = Path.cwd() / args.out if args.out is not None else args.repository / EXPORTS / args.task
    print(export_classifier(Path(args.models) / args.task, out))  # checks before TensorFlow


def text_command(commands: argparse._SubParsersAction, name: str, summary: str,
                 run: Callable[[argparse.Namespace], None], task_help: str, texts_help: str,
                 default_task: str | None = None) -> argparse.ArgumentParser:
    """A command that reads texts: from its arguments, `--file` or standard input."""
    command = commands.add_parser(name, help=summary)
    command.add_argument("--task", required=default_task is None, default=default_task,
                         help=task_help)
    kind = texts_help.split()[0]  # texts, sentences
    command.add_argument("--file", help=f"read {kind} from this file, one per line")
    command.add_argument("--models", help=MODELS_HELP)
    command.add_argument("texts", nargs="*", help=f"{texts_help} ('-' or none: standard input)")
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = text_command(commands, "predict", "classify texts with a trained model", predict,
                     "task name, as in params.yaml (e.g. imdb)", "texts to classify")
    p.add_argument("--top", type=int, default=3, help="classes to print for multi-class tasks")

    g = commands.add_parser("generate", help="continue a prompt with a trained language model")
    g.add_argument("--task", required=True, help="language-model task (e.g. sonnets)")
    g.add_argument("--prompt", default="",
                   help="text to continue (empty: start a new line); unknown words read as [UNK]")
    g.add_argument("--words", type=int, help="words to generate (word models; default 20, "
                   f"at most {MAX_WORDS:,})")
    g.add_argument("--chars", type=int, help="characters to generate (character models; 200, "
                   f"at most {MAX_CHARS:,})")
    g.add_argument("--temperature", type=float, default=0.8, help="0: greedy (default 0.8)")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest (0: all)")
    g.add_argument("--seed", type=int, default=1, help="same seed and arguments, same text")
    g.add_argument("--models", help=MODELS_HELP)
    g.set_defaults(run=generate)

    text_command(commands, "score", "sentence probability under a task's n-gram model", score,
                 "language-model task (e.g. sonnets)", "sentences to score")
    t = text_command(commands, "translate", "translate sentences with a trained translator",
                     translate, "translation task (default por_eng)", "sentences to translate",
                     default_task="por_eng")
    t.add_argument("--beam", type=int, help="beam width, 1: greedy (default: the evaluation's)")

    e = commands.add_parser("export", help="save a classifier as a SavedModel reading raw text")
    e.add_argument("--task", required=True, help="classification task (e.g. imdb)")
    e.add_argument("--models", help=MODELS_HELP)
    e.add_argument("--out", help="folder to write (default: exports/<task>/ of the repository)")
    e.set_defaults(run=export)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """The `rnnlab` command (`argv`: the arguments; None: the command line's, as the script)."""
    # The cyclic garbage collector went over TensorFlow's million objects again and again as
    # they were imported, and at exit: a second of a cold `rnnlab predict`. So it runs 70 times
    # less often during a command, and its own process freezes what is left for exit to free.
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        run_command(argv)
    except BrokenPipeError:  # the reader of standard output is gone (`| head -1`): end quietly
        stdout_to_devnull()
        sys.exit(PIPE_CLOSED)
    finally:
        gc.set_threshold(*thresholds)
        if argv is None:
            gc.freeze()


def run_command(argv: Sequence[str] | None) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    args = build_parser().parse_args(argv)
    here = Path.cwd()
    args.repository = (repository(here) or repository(Path(__file__).resolve().parent)
                       or here)
    args.models = here / args.models if args.models else args.repository / paths.MODELS
    if getattr(args, "file", None):
        args.file = str(here / args.file)
    refused: list[str] = []
    try:
        with quiet_stderr():
            args.run(args)
    except TextsRefused as err:
        refused = err.messages
    except RnnlabError as err:
        sys.exit(f"rnnlab {args.command}: error: {str(err).splitlines()[0]}")
    sys.stdout.flush()  # a closed pipe shows here, as a BrokenPipeError, not at exit
    for message in refused:
        print(f"rnnlab {args.command}: error: {message.splitlines()[0]}", file=sys.stderr)
    if refused:
        sys.exit(1)


if __name__ == "__main__":
    main()
