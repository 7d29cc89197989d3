"""Mesa, imported without the call-stack walks its model module does when it loads.

Mesa 3.5's ``mesa.model`` names its logger with ``create_module_logger()`` (which calls
``inspect.stack()``) and decorates ``Model.__init__`` with ``method_logger`` (which calls
``inspect.getouterframes()``). Both read the source line of every frame on the stack and, for
each frame without a source file (the import machinery's), scan every loaded module: deep in
a command's import chain, with ~1,400 modules loaded, that costs about 0.15 s of CPU on every
run (benchmarks/README.md, "bench_startup.py"). Mesa uses only the frames and their function
names, so for the duration of ``import mesa`` :func:`inspect.getouterframes` (which
:func:`inspect.stack` calls) is replaced by :func:`frames_only`, which gives the same frames
without their source lines; it is restored right after. Importing :data:`mesa` from here is
otherwise ``import mesa``: the same package, the same logger names.
"""

from __future__ import annotations

import inspect
import sys

__all__ = ["frames_only", "mesa"]


def frames_only(frame, context: int = 1) -> list[inspect.FrameInfo]:
    """``frame`` and its callers as :func:`inspect.getouterframes` gives them, without source.

    ``context`` is accepted and ignored: ``code_context`` and ``index`` are ``None``.
    """
    frames = []
    while frame is not None:
        code = frame.f_code
        frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name,
                                        None, None))
        frame = frame.f_back
    return frames


def _import_mesa():
    if "mesa.model" in sys.modules:
        import mesa

        return mesa
    walk, inspect.getouterframes = inspect.getouterframes, frames_only
    try:
        import mesa
    finally:
        inspect.getouterframes = walk
    return mesa


mesa = _import_mesa()
"""The ``mesa`` package."""
