"""axe-core in the browser tests: the vendored ``vendor/axe.min.js`` (see vendor/README.md) is
evaluated in the page under test and its serious and critical violations are returned."""
from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
IMPACTS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """``rule: selector — message`` for each serious or critical violation on the page now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # evaluated through the driver: the page's CSP does not apply
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    out = []
    for rule in found:
        if rule["impact"] not in IMPACTS:
            continue
        for node in rule["nodes"]:
            checks = node.get("any") or node.get("all") or node.get("none") or [{}]
            out.append(f"{rule['id']}: {' '.join(map(str, node['target']))} — {checks[0].get('message', '')[:120]}")
    return out
