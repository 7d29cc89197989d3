"""Serve the workshop page offline: ``softsim demo``.

Everything the browser loads comes from this server: Solara's JavaScript, CSS and fonts from the
``solara-assets`` package (installed with ``softsim[page]``), and nothing is fetched from a CDN,
neither by the browser nor by the server (its CDN address is pointed at a closed local port, so
a missing asset fails here instead of going out). Solara's usage telemetry is turned off.
"""

from __future__ import annotations

import json
import os

from softsim.errors import SoftsimError

__all__ = ["LOCAL_HOSTS", "check_address", "check_available", "prepare", "serve"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Addresses that only this machine can reach."""

APP = "softsim.app.page:Page"

OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_PROXY": "true",
    # a closed port of this machine: an asset missing from solara-assets is an error, not a
    # request to the internet
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    # a closed tab's session (and its model) is freed 10 minutes after it disconnects, not
    # Solara's default 24 hours: a room's devices come and go
    "SOLARA_KERNEL_CULL_TIMEOUT": "10m",
}


def check_available() -> None:
    """Refuse to start when the page's optional dependencies are missing.

    Raises:
        SoftsimError: Solara or its local assets are not installed.
    """
    import importlib.util

    for module in ("solara", "solara_assets", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            raise SoftsimError(
                f"the workshop page needs {module.replace('_', '-')}: "
                "pip install 'softsim[page]'"
            )


def check_address(host: str, port: int) -> None:
    """Refuse an address the server could not listen on (in use, or not this machine's).

    Raises:
        SoftsimError: One line naming the address and the reason.
    """
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SoftsimError(f"--host {host}: unknown address ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise SoftsimError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc})"
            ) from None


def prepare(territory: str, lang: str, seed: int, extra: list[str]):
    """Check the options and warm the simulation up before serving.

    Builds one session (the territory, shared afterwards by every browser session) and steps
    it once, so that a bad territory is refused now and the compiled kernels are ready before
    the first click.

    Returns:
        The warm-up :class:`~softsim.app.state.Session`.

    Raises:
        SoftsimError: The territory or the options are refused.
    """
    from softsim.app.state import Session

    session = Session(territory=territory, lang=lang, seed=seed, extra=extra)
    session.step()
    return session


def serve(territory: str, host: str, port: int, lang: str, seed: int = 1,
          extra: list[str] | None = None) -> None:
    """Serve the page until interrupted (blocking)."""
    os.environ.update(OFFLINE_ENV)
    os.environ.update(
        SOFTSIM_DEMO_TERRITORY=territory,
        SOFTSIM_DEMO_LANG=lang,
        SOFTSIM_DEMO_SEED=str(seed),
        SOFTSIM_DEMO_EXTRA=json.dumps(list(extra or [])),
        SOLARA_APP=APP,
        SERVER_NAME=host,
        SERVER_PORT=str(port),
    )
    import uvicorn

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port,
                            log_level="warning", lifespan="on")
    uvicorn.Server(config).run()
