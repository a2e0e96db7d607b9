"""The service areas import each other in one direction only: no area imports one that imports
it back (e.g. dispatch → lifecycle while lifecycle → dispatch), however long the chain."""
import itertools

import grimp

AREAS = ("lifecycle", "permits", "dispatch", "scoring", "discipline", "fees")


def test_no_two_areas_import_each_other():
    graph = grimp.build_graph("app", "admin_views", "models", "printables", cache_dir=None)
    both_ways = [
        (a, b) for a, b in itertools.combinations(AREAS, 2)
        if graph.chain_exists(importer=f"app.services.{a}", imported=f"app.services.{b}", as_packages=True)
        and graph.chain_exists(importer=f"app.services.{b}", imported=f"app.services.{a}", as_packages=True)
    ]
    assert both_ways == []
