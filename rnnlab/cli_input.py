"""What `rnnlab` accepts as input: how texts are read and split into lines, which texts are
refused one by one (the rest of a batch still answered), and which task names a command knows.

The rules themselves are written once, for users, in docs/serving.md ("Text rules"); the
exported SavedModel (rnnlab/tasks/classify/export.py) refuses the same texts with the same
messages, below. Nothing here imports TensorFlow or Keras, so bad input is refused in a moment.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlab.core.errors import RnnlabError, UsageError

if TYPE_CHECKING:  # `rnnlab --help` and usage errors import no NumPy
    from rnnlab.text.vocab import Vocab

# CRLF, LF and a lone CR each end a line, in a file and on standard input alike (the same as
# Python's universal newlines); U+2028 and the other Unicode separators stay inside a line
LINE_BREAK = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"  # a UTF-8 byte-order mark: a file's signature, not part of its first text
# the params.yaml sections that train each kind of model a command loads, and its name in errors
FAMILIES = {"classify": ("classification", ("train", "finetune")),
            "lm": ("language-model", ("train_lm", "finetune_lm")),
            "translate": ("translation", ("train_translation", "finetune_translation")),
            "ngram": ("n-gram", ("ngram",))}
# Why a text is refused, after its name ("text 2", "FILE: line 2"): one wording for every
# command and for the SavedModel's `error` output (which leaves out the quoted text)
NUL_BYTE = " has a NUL byte at character {} (expected plain text)"
NOT_UTF8 = " is not UTF-8 text"
EMPTY = " is empty (expected at least one word)"
NO_WORDS = " has no words after standardization"
ALL_UNKNOWN = ": no word of it is in the training vocabulary"


class TextsRefused(RnnlabError):
    """Some texts of a command were refused, each with its own message; the others were
    answered."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages[0])
        self.messages = messages


@dataclasses.dataclass
class Texts:
    """The texts of one command, the name each has in an error (`text 2`, `<file>: line 2`,
    `standard input: line 2`), and the messages of those refused so far."""

    texts: list[str]
    names: list[str]
    refused: dict[int, str] = dataclasses.field(default_factory=dict)

    def refuse(self, index: int, message: str) -> None:
        self.refused.setdefault(index, message)

    def good(self) -> list[tuple[int, str]]:
        """(index, text) of each text not refused."""
        return [(i, text) for i, text in enumerate(self.texts) if i not in self.refused]

    def answer(self, answers: dict[int, str]) -> None:
        """Print one answer per text, in order, an empty line for a refused one; then raise
        `TextsRefused` if any was refused."""
        for index in range(len(self.texts)):
            print("" if index in self.refused else answers[index])
        if self.refused:
            raise TextsRefused([self.refused[i] for i in sorted(self.refused)])

    def stop_if_all_refused(self) -> None:
        """Every text refused: nothing to answer, so no model to load."""
        if not self.good():
            self.answer({})

    def check_tokens(self, vocab: Vocab, no_tokens: str) -> None:
        """Refuse each text with no token after the vocabulary's standardization (`no_tokens`,
        formatted with `name` and `text`), or with none that the vocabulary knows."""
        from rnnlab.text.vocab import OOV_ID, PAD_ID

        for index, text in self.good():
            tokens = vocab.tokenize(text)
            if not tokens:
                self.refuse(index, no_tokens.format(name=self.names[index], text=text.strip()[:40]))
            elif all(vocab.index.get(token, OOV_ID) in (PAD_ID, OOV_ID) for token in tokens):
                self.refuse(index, f"{self.names[index]}{ALL_UNKNOWN} ({text.strip()[:40]!r})")


def repository(start: Path) -> Path | None:
    """The rnnlab repository `start` is in: the nearest folder up with dvc.yaml and params.yaml."""
    for folder in (start, *start.parents):
        if (folder / "dvc.yaml").is_file() and (folder / "params.yaml").is_file():
            return folder
    return None


def split_lines(text: str) -> list[str]:
    lines = LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def decode_lines(data: bytes, source: str) -> list[str]:
    """The lines of a file or of standard input; one that is not UTF-8 is refused whole."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{source}: not UTF-8 text ({err.reason} at byte {err.start})") \
            from None
    return split_lines(text.removeprefix(BOM))


def read_texts(args: argparse.Namespace) -> Texts:
    """Texts from the arguments, else from `--file`, else one per line from standard input;
    each empty, blank, NUL-holding or non-UTF-8 one already refused."""
    if args.texts and args.texts != ["-"]:
        texts = list(args.texts)
        names = [f"text {number}" for number in range(1, len(texts) + 1)]
    else:
        if args.file:
            source = args.file
            try:
                data = Path(args.file).read_bytes()
            except OSError as err:
                raise UsageError(f"{args.file}: {err.strerror}") from err
        else:
            source, data = "standard input", sys.stdin.buffer.read()
        texts = decode_lines(data, source)
        names = [f"{source}: line {number}" for number in range(1, len(texts) + 1)]
    if not texts:
        raise UsageError("no text given (pass it as an argument, with --file, or on stdin)")
    batch = Texts(texts, names)
    for index, (text, name) in enumerate(zip(texts, names, strict=True)):
        problem = text_problem(text)
        if problem:
            batch.refuse(index, f"{name}{problem}")
    return batch


def text_problem(text: str, blank_ok: bool = False) -> str | None:
    """What makes `text` unreadable for every command (to follow its name), or None."""
    if "\0" in text:
        return NUL_BYTE.format(text.index("\0") + 1)
    try:
        text.encode("utf-8")  # arguments that were not UTF-8 reach Python as lone surrogates
    except UnicodeEncodeError:
        return NOT_UTF8
    if not text.strip() and not blank_ok:
        return EMPTY
    return None


def check_prompt(prompt: str) -> None:
    """A prompt may be empty (start a new line), but not NUL-holding or non-UTF-8."""
    problem = text_problem(prompt, blank_ok=True)
    if problem:
        raise UsageError(f"the prompt{problem}")


def check_task(args: argparse.Namespace, family: str) -> None:
    """A `--task` with no trained model must at least be a task of params.yaml (its model is
    then what is missing, which the loader says); any other is refused, naming the known ones."""
    task, models = args.task, Path(args.models)
    model = models / "ngram" / f"{task}.npz" if family == "ngram" else models / task / "model.keras"
    if "\0" not in task and model.is_file():
        return
    known = known_tasks(args.repository / "params.yaml", models, family)
    if task in known:
        return
    kind = FAMILIES[family][0]
    expected = (f"expected one of the {kind} tasks: {', '.join(known)}" if known else
                f"no {kind} task in {args.repository / 'params.yaml'} or {models}")
    raise UsageError(f"--task: unknown task {task!r} ({expected})")


def known_tasks(params_file: Path, models: Path, family: str) -> list[str]:
    """The `family`'s tasks: its params.yaml entries and the trained models in `models`."""
    import yaml

    names: set[str] = set()
    try:
        params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        params = None
    for section in FAMILIES[family][1]:
        entries = params.get(section) if isinstance(params, dict) else None
        if isinstance(entries, dict):
            names.update(str(name) for name in entries)
    try:
        if family == "ngram":
            names.update(path.stem for path in (models / "ngram").glob("*.npz") if path.is_file())
        else:
            names.update(folder.name for folder in models.iterdir()
                         if (folder / "model.keras").is_file() and family_of(folder) == family)
    except OSError:  # no models folder (yet), or not a folder
        pass
    return sorted(names)


def family_of(folder: Path) -> str | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("family") if isinstance(meta, dict) else None
