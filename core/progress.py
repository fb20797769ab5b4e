"""Progress of a long command on a terminal: a tqdm bar when the output is a terminal, and one
line at the end when it is a file or a pipe (cron mail, a log)."""

from __future__ import annotations

from collections.abc import Callable

from tqdm import tqdm


class _Stream:
    """A management command's stdout for tqdm, which writes partial lines: Django's wrapper
    would end each write with a newline."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    def flush(self) -> None:
        self.stdout.flush()


def is_terminal(stdout) -> bool:
    return bool(getattr(stdout, "isatty", lambda: False)())


class Bar:
    """`update(done, total)` as the work goes; `close()` at the end. On a terminal it draws a bar;
    elsewhere it writes `finished.format(total=...)` once, when done reaches total."""

    def __init__(self, stdout, *, description: str, unit: str, finished: str) -> None:
        self.stdout = stdout
        self.finished = finished
        self.terminal = is_terminal(stdout)
        self.bar: tqdm | None = None
        self.description = description
        self.unit = unit
        self.written_end = False

    def update(self, done: int, total: int) -> None:
        if self.terminal:
            if self.bar is None:
                self.bar = tqdm(
                    total=total,
                    desc=self.description,
                    unit=self.unit,
                    file=_Stream(self.stdout),
                    mininterval=0.2,
                    dynamic_ncols=True,
                )
            self.bar.total = total
            self.bar.update(done - self.bar.n)
            if done >= total:
                self.close()
        elif done >= total and not self.written_end:
            if self.finished:
                self.stdout.write(self.finished.format(total=total))
            self.written_end = True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def bar(stdout, *, description: str, unit: str, finished: str) -> Callable[[int, int], None]:
    return Bar(stdout, description=description, unit=unit, finished=finished).update
