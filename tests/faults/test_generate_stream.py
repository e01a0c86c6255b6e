"""`rnnlab generate` streams: each word (or character) is printed and flushed as it is drawn,
not all at the end (rnnlab/tasks/lm/generate.py `Generator.stream`, rnnlab/cli.py); bad
arguments are refused before any output, and a closed pipe ends it quietly."""

from __future__ import annotations

import contextlib
import io
import os
import sys

import pytest
from test_cli_batch_faults import run
from test_text_rule_faults import in_repo, lm_loads_once, models_load_once, repo  # noqa: F401

from rnnlab import cli
from rnnlab.tasks.lm import generate as lm

ARGV = ["generate", "--task", "sonnets", "--temperature", "0.8", "--seed", "3"]


@pytest.fixture()
def generator(repo):  # noqa: F811 (the fixture imported above)
    return lm.Generator(repo / "models" / "sonnets")


@pytest.mark.parametrize("prompt", ["", "thy love", "fair xylograph"])
def test_the_stream_is_the_generated_text_in_pieces(generator, prompt):
    pieces = list(generator.stream(prompt, 12, 0.8, 0, 3))
    assert "".join(pieces) == generator.generate(prompt, 12, 0.8, 0, 3)
    assert len(pieces) == 12 + bool(prompt)  # the prompt, then one piece per word


@pytest.mark.parametrize("length", [1, 5, 40])
def test_each_word_is_yielded_as_soon_as_it_is_drawn(generator, monkeypatch, length):
    drawn = []
    sample = lm.sample_next
    monkeypatch.setattr(lm, "sample_next", lambda *a: drawn.append(1) or sample(*a))
    stream = generator.stream("thy", length, 0.8, 0, 3)
    assert next(stream) == "thy" and len(drawn) == 1  # the model ran once, to check it loads
    for number in range(1, length + 1):
        next(stream)
        assert len(drawn) == number  # not `length`: nothing drawn ahead of what was printed
    assert next(stream, None) is None


class Recorder(io.StringIO):
    """Standard output that records what had been written at each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


@pytest.mark.parametrize("words", ["1", "4", "25"])
def test_the_command_flushes_each_word_as_it_comes(generator, words):
    out = Recorder()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        cli.main([*ARGV, "--prompt", "thy love", "--words", words])
    text = generator.generate("thy love", int(words), 0.8, 0, 3)
    assert out.getvalue() == text + "\n"
    partial = [flushed for flushed in out.flushed if flushed != out.getvalue()]
    assert len(partial) >= int(words)  # one flush per word at least, before the end
    assert all(text.startswith(flushed) for flushed in partial)


@pytest.mark.parametrize("argv, expected", [
    (["--top-k", "999"], "top-k must be between 0 (all) and "),
    (["--temperature", "-1"], "temperature must be 0 (greedy) or positive"),
    (["--words", "10001"], "--words must be from 1 to 10,000, got 10001"),
    (["--chars", "5"], "sonnets generates words: use --words"),
], ids=["top-k", "temperature", "too-many-words", "chars-for-words"])
def test_bad_arguments_are_refused_before_any_output(argv, expected):
    code, out, err = run([*ARGV, "--prompt", "thy", *argv])
    assert out == "" and err == "" and code.startswith(f"rnnlab generate: error: {expected}")


def test_a_closed_pipe_ends_the_stream_quietly():
    read, write = os.pipe()
    os.close(read)
    stdout = open(write, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    saved, err = sys.stdout, io.StringIO()
    sys.stdout = stdout
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
            cli.main([*ARGV, "--prompt", "thy", "--words", "50"])
    finally:
        sys.stdout = saved
        stdout.close()
    assert exit_.value.code == 141 and err.getvalue() == ""
