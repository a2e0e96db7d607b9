"""axe-core in the browser tests: the accessibility violations of the page under test.

``tests/e2e/vendor/axe.min.js`` (axe-core, MPL-2.0; version and checksum in
``tests/e2e/vendor/README.md``) is evaluated in the page through the browser's debugging
protocol — the pages' own CSP allows no inline or foreign script, and the application never
serves the file.
"""
from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


def violations(page, impacts=BLOCKING) -> list[dict]:
    """axe-core's violations of ``impacts`` on the page as it is now (an empty list is clean)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(_RUN) if v["impact"] in impacts]
