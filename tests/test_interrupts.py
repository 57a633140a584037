"""A Ctrl-C that Python code swallowed on its way still stops the long loops and keeps output files unwritten.

numpy clears errors raised while it probes an operand (an IntEnum member's class
``__getattr__`` is Python code, where a KeyboardInterrupt can surface), so the CLI's SIGINT
handler also remembers the interrupt (quakesat/files.py).
"""

from __future__ import annotations

import signal

import pytest

from quakesat.data.parallel import ordered_map
from quakesat.files import atomic_output, clear_interrupt, interrupt_handler


@pytest.fixture(autouse=True)
def _no_interrupt_left_over():
    clear_interrupt()
    yield
    clear_interrupt()


def _swallowed_interrupt() -> None:
    """What numpy does to a KeyboardInterrupt raised inside its attribute probes."""
    try:
        interrupt_handler(signal.SIGINT, None)
    except KeyboardInterrupt:
        pass


def test_ordered_map_stops_after_a_swallowed_interrupt():
    def work(item: int) -> int:
        if item == 2:
            _swallowed_interrupt()
        return item

    done = []
    with pytest.raises(KeyboardInterrupt):
        for result in ordered_map(work, range(6), workers=1):
            done.append(result)
    assert done == [0, 1]  # the item during which it arrived is not handed on


def test_atomic_output_does_not_replace_the_target_after_a_swallowed_interrupt(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as partial:
            partial.write_text("new")
            _swallowed_interrupt()
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_without_an_interrupt_nothing_changes(tmp_path):
    assert list(ordered_map(lambda x: x * 2, range(4), workers=1)) == [0, 2, 4, 6]
    with atomic_output(tmp_path / "a.txt") as partial:
        partial.write_text("ok")
    assert (tmp_path / "a.txt").read_text() == "ok"
