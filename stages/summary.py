"""Write RESULTS.md (every task's headline numbers beside the params that gave them) and the
README's results table between its markers.

README.md is git's, not a DVC output (DVC tracks whole files); the stage rewrites only the
marked block, and `tests/test_readme_results.py` fails when that block differs from metrics/.
"""

from pathlib import Path

from rnnlab.core.files import read_text, write_text
from rnnlab.core.params import read_resolved
from rnnlab.core.stage import run
from rnnlab.report.summary import READS, readme_block, summary_markdown, with_readme_block

RESULTS = Path("RESULTS.md")  # beside the README: outside metrics/, which it reads whole
README = Path("README.md")


def main(_: str) -> None:
    params = read_resolved(*READS)
    readme = with_readme_block(read_text(README), readme_block(params), str(README))
    write_text(RESULTS, summary_markdown(params))
    write_text(README, readme)


if __name__ == "__main__":
    run(main)
