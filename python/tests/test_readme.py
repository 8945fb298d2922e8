"""The examples of python/README.md print what the README shows: every ```pycon block is run
as a doctest.

Shown floats are rounded (4 decimals, or numpy's 8), so that an ulp from another BLAS kernel
cannot change them."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def pycon_blocks(text: str) -> list[str]:
    return re.findall(r"^```pycon\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_examples_print_what_they_show():
    blocks = pycon_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "python/README.md has no pycon example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    for k, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README block {k + 1}", str(README), 0))
    result = runner.summarize(verbose=False)
    assert result.attempted >= 10
    assert result.failed == 0


def test_a_wrong_readme_output_is_noticed():
    block = pycon_blocks(README.read_text(encoding="utf-8"))[0].replace("[0, 1, 1, 0]", "[0, 1, 1, 1]")
    runner = doctest.DocTestRunner()
    runner.run(doctest.DocTestParser().get_doctest(block, {}, "drifted", "", 0), out=lambda _: None)
    assert runner.summarize(verbose=False).failed == 1
