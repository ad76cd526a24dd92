"""Red Map benchmark: every hot path measured side by side with a baseline, in one run.

``python -m bench [--quick] [--no-http] [--out bench/results/NAME.json]`` prints a table
and writes JSON (see :mod:`bench.report`). Modules, one job each:

==================  ===========================================================
``timing``          interleaved timing of ours vs baseline, order statistics
``data``            the cached demo district, its finder, synthetic points
``report``          the Row record, the printed table, the JSON file
``rows_nearest``    nearest on foot as the public API answers it
``rows_walk``       walking nearest and the 15-minute walk area, against Dijkstra
``rows_search``     search-as-you-type: the search, and the page's callback around it
``servers``         gunicorn processes (the app and the bare baseline), always killed
``bare_app``        the bare Flask baseline serving precomputed JSON
``http_load``       bounded asyncio load generator, 127.0.0.1 only
``rows_http``       API and staff callback throughput, cold start, memory per worker
``rows_browser``    each face in headless Chromium (full mode)
==================  ===========================================================
"""
