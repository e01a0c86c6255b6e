"""`rnnlab`: use the trained models from the command line.

    rnnlab predict --task imdb "a gripping, beautifully shot film"
    rnnlab predict --task imdb --file reviews.txt     # one text per line
    echo "dull and far too long" | rnnlab predict --task imdb
    rnnlab translate "Eu gosto de ler livros." --beam 5    # --task por_eng by default
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rnnlab import paths


class UsageError(ValueError):
    """Bad input from the command line; shown as one line."""


def read_texts(args: argparse.Namespace) -> list[str]:
    """Texts from the arguments, else from `--file`, else one per line from standard input."""
    if args.texts and args.texts != ["-"]:
        texts = list(args.texts)
    elif args.file:
        try:
            texts = Path(args.file).read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as err:
            raise UsageError(f"{args.file}: not UTF-8 text ({err.reason} at byte {err.start})") \
                from None
        except OSError as err:
            raise UsageError(f"{args.file}: {err.strerror}") from err
    else:
        data = sys.stdin.buffer.read()
        try:
            texts = data.decode("utf-8").splitlines()
        except UnicodeDecodeError as err:
            raise UsageError(f"standard input: not UTF-8 text ({err.reason} at byte "
                             f"{err.start})") from None
    if not texts:
        raise UsageError("no text given (pass it as an argument, with --file, or on stdin)")
    for number, text in enumerate(texts, 1):
        if not text.strip():
            raise UsageError(f"text {number} is empty (expected at least one word)")
    return texts


def predict(args: argparse.Namespace) -> None:
    from rnnlab.predictor import Classifier

    texts = read_texts(args)
    classifier = Classifier(Path(args.models) / args.task)
    probabilities = classifier.probabilities(texts)
    names = classifier.label_names
    for row in probabilities:
        top = row.argsort()[::-1][: min(args.top, len(names))]
        if len(names) == 2:
            top = top[:1]
        print("\t".join(f"{names[i]}\t{row[i]:.4f}" for i in top))


def translate(args: argparse.Namespace) -> None:
    """One translation per line; decoding settings from `evaluate_translation.<task>`."""
    from rnnlab.config import TranslationEvalParams, load_params
    from rnnlab.translation import Translator

    params = load_params("evaluate_translation", args.task, TranslationEvalParams)
    beam = params.beam_width if args.beam is None else args.beam
    if beam < 1:
        raise UsageError(f"--beam must be at least 1, got {beam}")
    texts = read_texts(args)
    translator = Translator(Path(args.models) / args.task)
    for line in translator.translate(texts, beam, params.length_penalty, params.max_output_len,
                                     params.max_input_words, params.batch_size):
        print(line)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("predict", help="classify texts with a trained model")
    p.add_argument("--task", required=True, help="task name, as in params.yaml (e.g. imdb)")
    p.add_argument("--file", help="read texts from this file, one per line")
    p.add_argument("--top", type=int, default=3, help="classes to print for multi-class tasks")
    p.add_argument("--models", default=str(paths.MODELS), help="folder of trained models")
    p.add_argument("texts", nargs="*", help="texts to classify ('-' or none: standard input)")
    p.set_defaults(run=predict)

    t = commands.add_parser("translate", help="translate sentences with a trained translator")
    t.add_argument("--task", default="por_eng", help="translation task (default por_eng)")
    t.add_argument("--beam", type=int, help="beam width, 1: greedy (default: the evaluation's)")
    t.add_argument("--file", help="read sentences from this file, one per line")
    t.add_argument("--models", default=str(paths.MODELS), help="folder of trained models")
    t.add_argument("texts", nargs="*", help="sentences to translate ('-' or none: standard input)")
    t.set_defaults(run=translate)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (UsageError, FileNotFoundError, ValueError) as err:
        sys.exit(f"rnnlab {args.command}: error: {str(err).splitlines()[0]}")


if __name__ == "__main__":
    main()
