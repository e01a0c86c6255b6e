"""`rnnlab`: use the trained models from the command line.

    rnnlab predict --task imdb "a gripping, beautifully shot film"
    rnnlab predict --task imdb --file reviews.txt     # one text per line
    echo "dull and far too long" | rnnlab predict --task imdb
    rnnlab generate --task sonnets --prompt "despite of wrinkles" --words 20 --top-k 40
    rnnlab generate --task shakespeare_char --prompt "ROMEO:" --chars 300 --temperature 0.8
    rnnlab score --task sonnets "from fairest creatures"
    rnnlab translate "Eu gosto de ler livros." --beam 5    # --task por_eng by default
    rnnlab export --task imdb     # a SavedModel that reads raw text, in exports/imdb/
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.abc
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rnnlab.core import paths
from rnnlab.core.errors import RnnlabError, UsageError

MODELS_HELP = "folder of trained models (default: models/ of the repository you are in)"
EXPORTS = Path("exports")  # git-ignored; not under models/, whose task folders DVC owns
LINE_BREAK = re.compile(r"\r?\n")  # only these end a text: U+2028 and friends stay inside it
# What Keras (and its TensorFlow) imports only to support where installed (scikit-learn, pandas,
# SciPy sparse, matplotlib): 2-3 s of a cold `rnnlab predict`, and no command uses them.
KERAS_EXTRAS = frozenset({"sklearn", "pandas", "matplotlib", "scipy"})


def split_lines(text: str) -> list[str]:
    lines = LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def read_texts(args: argparse.Namespace) -> list[str]:
    """Texts from the arguments, else from `--file`, else one per line from standard input."""
    if args.texts and args.texts != ["-"]:
        texts = list(args.texts)
    elif args.file:
        try:
            texts = split_lines(Path(args.file).read_text(encoding="utf-8"))
        except UnicodeDecodeError as err:
            raise UsageError(f"{args.file}: not UTF-8 text ({err.reason} at byte {err.start})") \
                from None
        except OSError as err:
            raise UsageError(f"{args.file}: {err.strerror}") from err
    else:
        data = sys.stdin.buffer.read()
        try:
            texts = split_lines(data.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise UsageError(f"standard input: not UTF-8 text ({err.reason} at byte "
                             f"{err.start})") from None
    if not texts:
        raise UsageError("no text given (pass it as an argument, with --file, or on stdin)")
    for number, text in enumerate(texts, 1):
        check_utf8(text, f"text {number}")
        if not text.strip():
            raise UsageError(f"text {number} is empty (expected at least one word)")
    return texts


def check_utf8(text: str, where: str) -> None:
    """Arguments that were not UTF-8 reach Python as lone surrogates; refuse them plainly."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None


def predict(args: argparse.Namespace) -> None:
    from rnnlab.tasks.classify.predict import Classifier

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    texts = read_texts(args)
    classifier = Classifier(Path(args.models) / args.task)
    for number, text in enumerate(texts, 1):
        if not classifier.vocab.tokenize(text):
            raise UsageError(f"text {number} has no words after standardization "
                             f"({text.strip()[:40]!r})")
    probabilities = classifier.probabilities(texts)
    names = classifier.label_names
    for row in probabilities:
        top = row.argsort()[::-1][: min(args.top, len(names))]
        if len(names) == 2:
            top = top[:1]
        print("\t".join(f"{names[i]}\t{row[i]:.4f}" for i in top))


def generate(args: argparse.Namespace) -> None:
    import math

    from rnnlab.tasks.lm.generate import Generator

    check_utf8(args.prompt, "the prompt")
    if not math.isfinite(args.temperature):
        raise UsageError(f"temperature must be a finite number ≥ 0 (0: greedy), got "
                         f"{args.temperature}")
    generator = Generator(Path(args.models) / args.task)
    char_model = generator.vocab.level == "char"
    if (args.words is not None and char_model) or (args.chars is not None and not char_model):
        unit = "characters: use --chars" if char_model else "words: use --words"
        raise UsageError(f"{args.task} generates {unit}")
    length = args.chars if char_model else args.words
    if length is not None and length < 1:
        raise UsageError(f"--{'chars' if char_model else 'words'} must be at least 1, got {length}")
    length = length if length is not None else (200 if char_model else 20)
    print(generator.generate(args.prompt, length, args.temperature, args.top_k, args.seed))


def score(args: argparse.Namespace) -> None:
    """P(sentence) under the task's n-gram model, read as a line: each token given the ones
    before it (the first given a line start), then the end of the line."""
    from rnnlab.tasks.lm.ngram_eval import load_scorer, score_report

    texts = read_texts(args)
    model, vocab = load_scorer(Path(args.models) / "ngram" / f"{args.task}.npz")
    for number, text in enumerate(texts, 1):
        tokens = vocab.tokenize(text)
        if not tokens:
            raise UsageError(f"text {number} has no tokens after standardization")
        print(score_report(model, vocab, tokens, text))


def translate(args: argparse.Namespace) -> None:
    """One translation per line; decoding settings from `evaluate_translation.<task>`."""
    from rnnlab.core.files import read_json
    from rnnlab.core.params import from_mapping
    from rnnlab.tasks.translate.decode import Translator
    from rnnlab.tasks.translate.params import TranslationEvalParams

    path = args.repository / paths.params_entry("evaluate_translation", args.task)
    if not path.is_file():
        raise UsageError(f"{path}: missing (run `dvc repro params` or `dvc pull`)")
    params = from_mapping(TranslationEvalParams, read_json(path),
                          f"{path}: evaluate_translation.{args.task}")
    beam = params.beam_width if args.beam is None else args.beam
    if beam < 1:
        raise UsageError(f"--beam must be at least 1, got {beam}")
    texts = read_texts(args)
    translator = Translator(Path(args.models) / args.task)
    for line in translator.translate(texts, beam, params.length_penalty, params.max_output_len,
                                     params.max_input_words, params.batch_size):
        print(line)


def export(args: argparse.Namespace) -> None:
    """A classifier as a SavedModel for TensorFlow Serving; prints the folder it wrote."""
    from rnnlab.tasks.classify.export import export_classifier

    out = Path(args.out) if args.out else args.repository / EXPORTS / args.task
    print(export_classifier(Path(args.models) / args.task, out))


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
    g.add_argument("--words", type=int, help="words to generate (word models; default 20)")
    g.add_argument("--chars", type=int, help="characters to generate (character models; 200)")
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


def repository(start: Path) -> Path | None:
    """The rnnlab repository `start` is in: the nearest folder up with dvc.yaml and params.yaml."""
    for folder in (start, *start.parents):
        if (folder / "dvc.yaml").is_file() and (folder / "params.yaml").is_file():
            return folder
    return None


class KerasWithoutExtras(importlib.abc.MetaPathFinder):
    """Refuses `KERAS_EXTRAS` while Keras is being imported (importlib marks its spec
    `_initializing`), which Keras takes as their absence; afterwards they import as usual."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in KERAS_EXTRAS:
            spec = getattr(sys.modules.get("keras"), "__spec__", None)
            if getattr(spec, "_initializing", False):
                raise ModuleNotFoundError(f"No module named {name!r} (left out while Keras "
                                          "loads)", name=name)
        return None


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """TensorFlow and absl log their start-up straight to file descriptor 2, whatever
    TF_CPP_MIN_LOG_LEVEL says; keep that (and library warnings) off the user's terminal. It is
    shown after all if the command fails with a bug, beside the traceback."""
    sys.stderr.flush()
    saved, log = os.dup(2), tempfile.TemporaryFile()
    os.dup2(log.fileno(), 2)
    bug = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except RnnlabError:
        raise
    except BaseException:
        bug = True
        raise
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if bug:
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace"))
        log.close()


def main(argv: Sequence[str] | None = None) -> None:
    """The `rnnlab` command (`argv`: the arguments; None: the command line's, as the script)."""
    # The cyclic garbage collector went over TensorFlow's million objects again and again as
    # they were imported, and at exit: a second of a cold `rnnlab predict`. So it runs 70 times
    # less often during a command, and its own process freezes what is left for exit to free.
    thresholds, finder = gc.get_threshold(), KerasWithoutExtras()
    gc.set_threshold(50_000, 20, 20)
    sys.meta_path.insert(0, finder)
    try:
        run_command(argv)
    finally:
        sys.meta_path.remove(finder)
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
    try:
        with quiet_stderr():
            args.run(args)
    except RnnlabError as err:
        sys.exit(f"rnnlab {args.command}: error: {str(err).splitlines()[0]}")


if __name__ == "__main__":
    main()
