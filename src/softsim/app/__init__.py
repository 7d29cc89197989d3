"""The workshop page (``softsim demo``): an offline Solara page to play scenarios live.

:mod:`softsim.app.state` holds a browser session's state and logic in plain Python;
:mod:`softsim.app.figures` draws its map and charts with matplotlib; :mod:`softsim.app.page`
holds the Solara components and :mod:`softsim.app.server` serves them. Solara is an optional
dependency (``pip install 'softsim[page]'``); the simulation core never imports this package.
"""
