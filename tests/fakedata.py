"""A tiny mirror with every corpus rnnlab downloads, shaped like the real one.

The IMDB reviews carry a learnable signal (positive reviews use positive words), so the
end-to-end test can check that training really learned something.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from pathlib import Path

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "delightful", "loved"]
NEGATIVE = ["awful", "boring", "dreadful", "dull", "terrible", "wooden", "hated"]
NEUTRAL = ["the", "a", "film", "movie", "plot", "actor", "scene", "story", "was", "and", "it",
           "this", "of", "director", "music", "ending", "script", "cast"]


def review(rng: random.Random, label: int) -> str:
    words = rng.choices(NEUTRAL, k=rng.randint(8, 40))
    signal = POSITIVE if label == 1 else NEGATIVE
    for _ in range(rng.randint(2, 4)):
        words.insert(rng.randrange(len(words)), rng.choice(signal))
    return " ".join(words).capitalize() + ".<br /><br />The end &amp; credits."


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def make_imdb_tar(path: Path, per_folder: int = 60, seed: int = 0) -> None:
    rng = random.Random(seed)
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "aclImdb/README", b"Large Movie Review Dataset (tiny fake)\n")
        _add(tar, "aclImdb/imdb.vocab", "\n".join(POSITIVE + NEGATIVE + NEUTRAL).encode())
        _add(tar, "aclImdb/imdbEr.txt", b"0.0\n")
        for split in ("train", "test"):
            for label, folder in ((0, "neg"), (1, "pos")):
                for i in range(per_folder):
                    rating = rng.randint(7, 10) if label else rng.randint(1, 4)
                    _add(tar, f"aclImdb/{split}/{folder}/{i}_{rating}.txt",
                         review(rng, label).encode())
        for i in range(10):
            _add(tar, f"aclImdb/train/unsup/{i}_0.txt", review(rng, i % 2).encode())


def make_glove(path: Path, dim: int = 50, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = [" ".join([word] + [f"{rng.uniform(-1, 1):.5f}" for _ in range(dim)])
             for word in POSITIVE + NEGATIVE + NEUTRAL[:10]]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))


TOPICS = ["earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain"]


def make_reuters_tar(path: Path, per_topic: int = 20, seed: int = 0) -> None:
    """22 SGML files of single-topic documents, 3/4 TRAIN and 1/4 TEST, words typical of each."""
    rng = random.Random(seed)
    docs = []
    for t, topic in enumerate(TOPICS):
        for i in range(per_topic):
            newid = len(docs) + 1
            split = "TEST" if i % 4 == 0 else "TRAIN"
            body = " ".join(rng.choices(NEUTRAL, k=12) + [topic.replace("-", "")] * 3)
            docs.append(f'<REUTERS TOPICS="YES" LEWISSPLIT="{split}" CGISPLIT="TRAINING-SET" '
                        f'OLDID="{newid}" NEWID="{newid}">\n<TOPICS><D>{topic}</D></TOPICS>\n'
                        f"<TEXT>\n<TITLE>{topic.upper()} NEWS {t}</TITLE>\n"
                        f"<BODY>{body} &#3;</BODY></TEXT>\n</REUTERS>\n")
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "reuters21578/README.txt", b"Reuters-21578 (tiny fake)\n")
        for i in range(22):
            chunk = "".join(docs[i::22])
            _add(tar, f"reuters21578/reut2-{i:03d}.sgm",
                 ('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + chunk).encode("latin-1"))


VERSE = ["thy", "love", "rose", "fair", "time", "doth", "my", "sweet", "beauty", "eyes", "and"]


def verse(lines: int, capitalize: bool) -> str:
    """Lines with a learnable pattern: each starts one word further along a fixed cycle."""
    out = []
    for i in range(lines):
        line = " ".join(VERSE[(i + j) % len(VERSE)] for j in range(6)) + ","
        out.append(line.capitalize() if capitalize else line)
    return "\n".join(out) + "\n"


def make_mirror(folder: Path) -> Path:
    """Write every mirrored corpus into `folder` with a matching SHA256SUMS; return `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    make_imdb_tar(folder / "aclImdb_v1_text.tar.gz")
    make_glove(folder / "glove.6B.50d.txt.gz")
    make_reuters_tar(folder / "reuters21578_files.tar.gz")
    word_index = {w: i for i, w in enumerate(NEUTRAL + POSITIVE + NEGATIVE, 1)}
    (folder / "imdb_word_index.json").write_text(json.dumps(word_index))
    (folder / "sonnets.txt").write_text(verse(20 * 14, capitalize=False))  # 20 sonnets
    english = "".join(f"{line.capitalize()}.\n" for line in anki_pairs()[1][::3])
    # the translator's decoder starts from this corpus's language model: share some words
    (folder / "tinyshakespeare_input.txt").write_text(english + verse(300, capitalize=True))
    (folder / "sheldon.txt").write_text("".join(f"Bazinga {i}! {line}" for i, line in
                                                enumerate(verse(40, True).splitlines(True))))
    anki = folder / "anki-por-eng-5to5"
    anki.mkdir(exist_ok=True)
    pt, en = anki_pairs()
    for split, part in (("train", slice(0, 24)), ("val", slice(24, 30)), ("test", slice(30, 36))):
        # every split repeats the first pairs, as the real subset's leaky split does
        (anki / f"{split}.pt").write_text("\n".join(pt[:2] + pt[part]) + "\n")
        (anki / f"{split}.en").write_text("\n".join(en[:2] + en[part]) + "\n")
    write_sha256sums(folder)
    return folder


ANIMALS = [("o gato", "the cat"), ("o cão", "the dog"), ("o menino", "the boy"),
           ("a menina", "the girl"), ("tom", "tom"), ("maria", "mary")]
FOODS = [("peixe", "fish"), ("leite", "milk"), ("pão", "bread"), ("chá", "tea"),
         ("carne", "meat"), ("fruta", "fruit")]


def anki_pairs() -> tuple[list[str], list[str]]:
    """36 distinct five-word-or-so pairs ("o gato gosta de peixe" / "the cat likes fish")."""
    pt = [f"{a} gosta de {f}" for a, _ in ANIMALS for f, _ in FOODS]
    en = [f"{a} likes {f}" for _, a in ANIMALS for _, f in FOODS]
    return pt, en


def write_sha256sums(folder: Path) -> None:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    (folder / "SHA256SUMS").write_text("".join(lines))
