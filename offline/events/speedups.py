"""moto EventBridge speedups that change no answer.

moto 5.2.5 builds each target's input by parsing its JSONPaths (the event's ten default fields when the target has
no input transformer) with ``jsonpath_ng.ext.parse``, which builds a new parser, tables and all, on every call:
a sampled burst spent a tenth of the process there, for the same dozen paths. :func:`installed` parses each path
once; a parsed path is only read by ``find``, so every thread shares it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import jsonpath_ng.ext


@contextmanager
def installed() -> Iterator[None]:
    # moto imports ``parse`` from ``jsonpath_ng.ext`` inside the function, at each call, so the module's is the one.
    with mock.patch.object(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)):
        yield
