"""PyYAML, imported with its regular expressions compiled when first used (start-up time).

``import yaml`` compiles about twenty regular expressions at import time, most of
them for the pure-Python reader, scanner and emitter, which the C loader
(libyaml, ``yaml.CSafeLoader``, what source.py reads with) never runs: the
reader's pattern of non-printable characters alone takes about 4 ms, more
than any module of ours. While PyYAML is imported, ``re.compile`` returns a
:class:`LazyPattern` that compiles on its first use, so a pattern that is
used costs the same and one that is not costs nothing. Bazaar did the same
for all its patterns (``bzrlib.lazy_regex``); here only PyYAML's import is
affected, and ``re.compile`` is restored when it ends.
"""

from __future__ import annotations

import re
import sys


class LazyPattern:
    """A compiled pattern that compiles itself on first use: any attribute (``match``, ``search``, …) compiles."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args):
        self._args, self._compiled = args, None

    def __getattr__(self, name: str):
        if self._compiled is None:
            self._compiled = _compile(*self._args)
        return getattr(self._compiled, name)


_compile = re.compile


def _import_yaml():
    if "yaml" in sys.modules:
        return sys.modules["yaml"]
    re.compile = LazyPattern
    try:
        import yaml
    finally:
        re.compile = _compile
    return yaml


yaml = _import_yaml()
