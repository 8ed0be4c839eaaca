"""Renders reports in parallel: no test reaches it."""
import concurrent.futures


def render_all(render, pages):
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
        return list(executor.map(render, pages))
