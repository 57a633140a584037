"""Generated blocks in the docs: numbers a command measured, replaced by that command, never by hand.

A block is the text between ``<!-- generated:NAME begin -->`` and ``<!-- generated:NAME end -->``
in a Markdown file. :func:`replace_block` swaps its content for new text and writes the file
atomically; the prose around it stays as written.
"""

from __future__ import annotations

import re
from pathlib import Path

from quakesat.errors import ConfigError
from quakesat.files import write_text_atomic


def markers(name: str) -> tuple[str, str]:
    """The begin and end lines of block ``name``."""
    return f"<!-- generated:{name} begin -->", f"<!-- generated:{name} end -->"


def replace_block(path: str | Path, name: str, text: str) -> Path:
    """Replace the content of block ``name`` in ``path`` with ``text``.

    Raises:
        ConfigError: the file is missing, or holds the block's markers not exactly once each
            (in order).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file to update; --doc names a Markdown file with a generated block")
    document = path.read_text(encoding="utf-8")
    begin, end = markers(name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), flags=re.S)
    found = pattern.findall(document)
    if len(found) != 1 or document.count(begin) != 1 or document.count(end) != 1:
        raise ConfigError(f"{path}: expected one block '{begin}' ... '{end}', found {len(found)}; "
                          "add the two marker lines where the generated text belongs")
    replacement = f"{begin}\n{text.rstrip()}\n{end}"
    write_text_atomic(path, pattern.sub(lambda _: replacement, document))
    return path
