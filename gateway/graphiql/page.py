"""The HTML of the GraphiQL page, of the page shown when its assets are missing, and their CSP.

The page holds no inline script and references nothing outside the gateway's origin, so it works
offline and under a Content-Security-Policy that allows only the gateway itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from gateway.graphiql.assets import Assets

# Where the assets route is mounted, relative to the page at /graphql, so that the page keeps
# working behind a proxy that serves the gateway under a path prefix.
ASSETS_PREFIX = "graphiql"

# The first tab of a browser that has no saved tabs yet: GraphiQL's `defaultQuery`, which it
# uses only when its storage holds no tabs, so a returning user's tabs are never replaced.
DEFAULT_QUERY = """\
# Welcome to Autopilot Gateway. Press the run button (or Ctrl-Enter) to see a leaderboard:
# the candidates of a demo job ordered by validation F1, above a threshold, with their ranks.
{
  candidates(jobName: "customer-churn-xgb", first: 10,
             orderBy: [{by: METRIC, metric: F1, set: VALIDATION}],
             where: {metric: {name: F1, set: VALIDATION, gte: 0.6}}) {
    totalCount
    edges {
      rank
      node {
        candidateName
        isBest
        f1: metric(name: F1)
        latency: metric(name: INFERENCE_LATENCY)
      }
    }
  }
}
"""


@dataclass(frozen=True)
class SharedOperation:
    """An operation from a link's ``?query=...&variables=...``, put into the editor, not run."""

    query: str
    # "" when the link has none, not None: GraphiQL would take the last tab's stored variables.
    variables: str = ""


def content_security_policy(style_nonce: str) -> str:
    """Only the gateway's own files may run, style the page or be fetched.

    ``style-src`` carries a nonce because GraphiQL's dialogs (Radix's react-remove-scroll) add a
    ``<style>`` element while open; the page's script hands the nonce to that code, so no
    ``'unsafe-inline'`` is needed. Styles that React and CodeMirror set through the DOM
    (``element.style``) are not subject to CSP. Fonts and icons are ``data:`` URLs in GraphiQL's
    stylesheet.
    """
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


MISSING_ASSETS_POLICY = (
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def graphiql_page(assets: Assets, style_nonce: str, shared: SharedOperation | None = None) -> str:
    """The page; its settings travel as JSON data, which the CSP does not treat as a script.

    A ``shared`` operation opens in the editor, in a tab of its own beside the user's saved
    tabs (GraphiQL's ``query`` and ``variables`` props); it runs only when the user runs it.
    """
    config: dict[str, Any] = {"defaultQuery": DEFAULT_QUERY, "styleNonce": style_nonce}
    if shared is not None:
        config["query"] = shared.query
        config["variables"] = shared.variables
    # "<" escaped, so no string in the data can close the <script> element.
    config_json = json.dumps(config).replace("<", "\\u003c")
    styles = "".join(
        f'    <link rel="stylesheet" href="{ASSETS_PREFIX}/{a.path}" integrity="{a.integrity}">\n'
        for a in assets.styles
    )
    scripts = "".join(
        f'    <script src="{ASSETS_PREFIX}/{a.path}" integrity="{a.integrity}"></script>\n'
        for a in assets.scripts
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>GraphiQL · Autopilot Gateway</title>
    <link rel="icon" href="data:,">
{styles}    <script type="application/json" id="graphiql-config">{config_json}</script>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
{scripts}  </body>
</html>
"""


def missing_assets_page(missing: list[str]) -> str:
    files = "".join(f"<li><code>{escape(name)}</code></li>" for name in missing)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>GraphiQL is not built · Autopilot Gateway</title>
  </head>
  <body>
    <h1>GraphiQL is not built</h1>
    <p>This gateway was installed without GraphiQL's browser files, so it cannot show the IDE.
    The GraphQL endpoint itself works: POST queries to this URL.</p>
    <p>To build them, run <code>make assets</code> in the gateway's source tree (it needs
    Node.js and npm), then restart the gateway, or reinstall it if it was installed with
    <code>pip install .</code>. The Docker image builds them itself.</p>
    <p>Missing:</p>
    <ul>{files}</ul>
  </body>
</html>
"""
