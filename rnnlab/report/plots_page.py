"""`dvc plots show` / `dvc plots diff` that render offline, with epochs on the x axis.

DVC's own page loads vega, vega-lite and vega-embed from a CDN, so without internet its plots
are blank. `build` packs those three npm packages at pinned versions (`npm pack`), checks each
tarball against its pinned sha256, and writes `.dvc/plots_page.html`, a page that carries the
three libraries inline (`.dvc/config` names it as `plots.html_template`), and the vega-lite
template `.dvc/plots/epochs.json`: DVC's `linear` template with whole-number ticks labelled
from 1, since dvclive counts epochs from step 0; and `.dvc/plots/confusion_many.json`, a
confusion matrix sized by its class count. `check` (run by `make plots`) stops with one
line naming the file when the page or the template is missing or altered.

    python -m rnnlab.report.plots_page build   # needs npm and the registry
    python -m rnnlab.report.plots_page check
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PAGE = Path(".dvc/plots_page.html")
TEMPLATE = Path(".dvc/plots/epochs.json")
CONFUSION = Path(".dvc/plots/confusion_many.json")
# name: (version, sha256 of the npm tarball, the browser build in it, sha256 of that build)
PACKAGES = {
    "vega": ("5.20.2", "d77deab01d6104b1239228720721f93003e60797d2faced7ffdd759fa70f989d",
             "package/build/vega.min.js",
             "4794d0169cb1f3ebad8117fe98ba5bd652dd725905ec0384e832391dbccb03be"),
    "vega-lite": ("5.2.0", "f64ca4745f043447ac86b67dc9e9592ec2b85ac8b8dafc35faf970f142463e4b",
                  "package/build/vega-lite.min.js",
                  "d73157451b3978015ab31dacd55ff90d986ab8663fc0abed50f97b3cd90002cb"),
    "vega-embed": ("6.18.2", "93aeee312e92077b0252ef026c0fe0ec8fa430c19825aeada6cd3a6804e68e1b",
                   "package/build/vega-embed.min.js",
                   "1ba9826431ddc9805e815ad92acc811c819f2bfd32bda2a128b8c4b5070fab5e"),
}
HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>rnnlab plots</title>
<style>table { border-spacing: 15px; } body { font-family: sans-serif; }</style>
"""
TAIL = """</head>
<body>
{plot_divs}
</body>
</html>
"""


class PageError(Exception):
    """The page or template is missing, altered, or cannot be built: one line for the user."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def script_block(name: str, code: str) -> str:
    version = PACKAGES[name][0]
    return f"<!-- {name} {version} -->\n<script>\n{code}\n</script>\n<!-- /{name} -->\n"


def library_code(page: str, name: str) -> str | None:
    """The inline code of `name` in `page`, or None."""
    begin = f"<!-- {name} {PACKAGES[name][0]} -->\n<script>\n"
    end = f"\n</script>\n<!-- /{name} -->"
    start = page.find(begin)
    stop = page.find(end, start + len(begin)) if start >= 0 else -1
    return page[start + len(begin):stop] if stop >= 0 else None


def epochs_template() -> dict:
    """DVC's `linear` template with every x axis in whole epochs, counted from 1."""
    from dvc_render.vega_templates import LinearTemplate

    template = json.loads(json.dumps(LinearTemplate.DEFAULT_CONTENT))

    def walk(node: object) -> None:
        if isinstance(node, dict):
            x = node.get("encoding", {}).get("x") if isinstance(node.get("encoding"), dict) \
                else None
            if isinstance(x, dict) and x.get("field") == "<DVC_METRIC_X>":
                x["axis"] = {"tickMinStep": 1, "labelExpr": "datum.value + 1"}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template)
    return template


def confusion_many_template() -> dict:
    """DVC's `confusion_normalized` with a 14-pixel band per class, so that 46 or 52 labels stay
    legible (the default squeezes them into 300 pixels)."""
    from dvc_render.vega_templates import NormalizedConfusionTemplate

    template = json.loads(json.dumps(NormalizedConfusionTemplate.DEFAULT_CONTENT))
    template["spec"]["width"] = template["spec"]["height"] = {"step": 14}
    for layer in template["spec"]["layer"]:  # the band step sizes the view instead
        layer.pop("width", None)
        layer.pop("height", None)
    return template


def packed(name: str, folder: Path) -> str:
    """The browser build of the pinned `name`, from a tarball that matches its sha256."""
    version, tar_sha, member, _ = PACKAGES[name]
    result = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise PageError(f"npm pack {name}@{version} failed: {result.stderr.strip()[-200:]}")
    tarball = folder / result.stdout.strip().splitlines()[-1]
    if sha256(tarball.read_bytes()) != tar_sha:
        raise PageError(f"{tarball.name}: sha256 differs from the pinned {tar_sha}")
    with tarfile.open(tarball) as archive:
        return archive.extractfile(member).read().decode("utf-8")


def build() -> None:
    from rnnlab.core.files import write_text

    with tempfile.TemporaryDirectory(prefix="rnnlab-vega-") as tmp:
        codes = {name: packed(name, Path(tmp)) for name in PACKAGES}
    for name, code in codes.items():
        if "</script" in code or "{plot_divs}" in code or "{refresh_tag}" in code:
            raise PageError(f"{name}: its code holds a marker the page cannot carry inline")
        print(f"{name} {PACKAGES[name][0]}: build sha256 {sha256(code.encode())}")
    write_text(PAGE, HEAD + "".join(script_block(n, c) for n, c in codes.items()) + TAIL)
    for path, template in TEMPLATES.items():
        write_text(path, json.dumps(template(), indent=2) + "\n")


def check() -> None:
    for path in (PAGE, *TEMPLATES):
        if not path.is_file():
            raise PageError(f"{path}: missing (run `python -m rnnlab.report.plots_page build`)")
    page = PAGE.read_text(encoding="utf-8")
    if "{plot_divs}" not in page:
        raise PageError(f"{PAGE}: has no {{plot_divs}} placeholder for DVC's plots")
    for name, (version, _, _, code_sha) in PACKAGES.items():
        code = library_code(page, name)
        if code is None or sha256(code.encode()) != code_sha:
            raise PageError(f"{PAGE}: {name} {version} is missing or altered (sha256 differs "
                            "from the pinned build); rebuild the page")
    for path, template in TEMPLATES.items():
        if json.loads(path.read_text(encoding="utf-8")) != template():
            raise PageError(f"{path}: altered; rebuild it")


TEMPLATES = {TEMPLATE: epochs_template, CONFUSION: confusion_many_template}


def main(argv: list[str]) -> None:
    commands = {"build": build, "check": check}
    if len(argv) != 1 or argv[0] not in commands:
        sys.exit("usage: python -m rnnlab.report.plots_page build|check")
    try:
        commands[argv[0]]()
    except PageError as err:
        sys.exit(str(err))


if __name__ == "__main__":
    main(sys.argv[1:])
