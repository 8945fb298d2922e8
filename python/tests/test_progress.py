"""The progress bar: drawn in place when enabled, silent otherwise."""

import io

from dlscratch.progress import ProgressBar


def test_enabled_bar_draws_the_count_and_fields():
    stream = io.StringIO()
    bar = ProgressBar(10, width=10, stream=stream, enabled=True)
    bar.update(10, loss=0.5)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\r[##########] 10/10 100%") and "loss 0.5000" in text and text.endswith("\n")


def test_disabled_bar_writes_nothing(capsys):
    stream = io.StringIO()
    bar = ProgressBar(10, stream=stream, enabled=False)
    bar.update(5, loss=1.0)
    bar.write("a line")
    bar.close()
    assert stream.getvalue() == "" and capsys.readouterr().out == "a line\n"
