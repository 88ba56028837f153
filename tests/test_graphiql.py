"""GraphiQL through HTTP: served from the gateway's own files, under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.graphiql.assets import MissingAssets, load_assets
from gateway.graphiql.page import DEFAULT_QUERY, SharedOperation, graphiql_page
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

HTML = {"Accept": "text/html"}
# What Chromium sends when it opens a link (the address bar, a click): a top-level navigation.
NAVIGATION = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Site": "none",
    "Sec-Fetch-User": "?1",
}
SHARED_QUERY = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobName } }'
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module", autouse=True)
def built_assets() -> None:
    try:
        load_assets()
    except MissingAssets as error:
        pytest.fail(f"{error}: run `make assets` first")


class References(HTMLParser):
    """The scripts and stylesheets a page loads, with their integrity hashes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, str] = {}
        self.styles: dict[str, str] = {}
        self.inline_scripts: list[str] = []
        self._in_script_type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.scripts[attributes["src"] or ""] = attributes.get("integrity") or ""
        elif tag == "script":
            self._in_script_type = attributes.get("type") or "text/javascript"
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.styles[attributes["href"] or ""] = attributes.get("integrity") or ""

    def handle_data(self, data: str) -> None:
        if self._in_script_type is not None and self._in_script_type != "application/json":
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_type = None


def policy(response: httpx.Response) -> dict[str, str]:
    directives = (
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
    )
    return {name: value for name, value in directives}


def page(gateway: GraphQLClient) -> httpx.Response:
    response = gateway.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    return response


def page_config(html: str) -> dict[str, Any]:
    """The settings the page hands to setup.js, as setup.js reads them."""
    config = re.search(r'<script type="application/json" id="graphiql-config">(.*?)</script>', html)
    assert config is not None
    parsed: dict[str, Any] = json.loads(config.group(1))
    return parsed


def references(response: httpx.Response) -> References:
    parser = References()
    parser.feed(response.text)
    return parser


def test_get_with_accept_html_serves_our_page(gateway: GraphQLClient) -> None:
    response = page(gateway)
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="graphiql">' in response.text
    assert "Strawberry" not in response.text


def test_page_sends_a_strict_content_security_policy(gateway: GraphQLClient) -> None:
    response = page(gateway)
    csp = policy(response)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{22,}'", csp["style-src"])
    assert csp["connect-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["font-src"] == "'self' data:"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    header = response.headers["content-security-policy"]
    assert "unsafe" not in header
    assert "http" not in header and "*" not in header


def test_page_sends_security_and_cache_headers(gateway: GraphQLClient) -> None:
    response = page(gateway)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"


def test_each_page_has_a_fresh_style_nonce_that_its_script_receives(
    gateway: GraphQLClient,
) -> None:
    nonces = []
    for response in (page(gateway), page(gateway)):
        nonce = policy(response)["style-src"].split("'nonce-")[1].rstrip("'")
        config = re.search(r'id="graphiql-config">(.*?)</script>', response.text)
        assert config is not None
        assert json.loads(config.group(1))["styleNonce"] == nonce
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_page_has_no_inline_script_and_no_absolute_url(gateway: GraphQLClient) -> None:
    response = page(gateway)
    refs = references(response)
    assert refs.inline_scripts == []
    assert not re.search(r"https?:", response.text)
    assert "//" not in "".join([*refs.scripts, *refs.styles])


def test_page_loads_react_graphiql_and_its_setup(gateway: GraphQLClient) -> None:
    names = [src.rsplit("/", 1)[1] for src in references(page(gateway)).scripts]
    assert names == [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "plugin-explorer.umd.js",
        "setup.js",
    ]


def test_every_referenced_asset_is_served_for_a_year(gateway: GraphQLClient) -> None:
    response = page(gateway)
    refs = references(response)
    expected_types = {
        **dict.fromkeys(refs.scripts, "text/javascript"),
        **dict.fromkeys(refs.styles, "text/css"),
    }
    for url, integrity in {**refs.scripts, **refs.styles}.items():
        asset = gateway.http.get(response.url.join(url))
        assert asset.status_code == 200, url
        assert asset.url.host == response.url.host, url
        assert asset.headers["content-type"].startswith(expected_types[url]), url
        assert asset.headers["cache-control"] == IMMUTABLE, url
        assert asset.headers["x-content-type-options"] == "nosniff", url
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url


def test_assets_are_gzipped_for_browsers_that_accept_it(gateway: GraphQLClient) -> None:
    response = page(gateway)
    url = response.url.join(next(iter(references(response).scripts)))
    zipped = gateway.http.get(url, headers={"Accept-Encoding": "gzip"})
    plain = gateway.http.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content
    for response in (zipped, plain):
        assert "Accept-Encoding" in [v.strip() for v in response.headers["vary"].split(",")]


def test_an_asset_url_with_another_digest_is_not_found(gateway: GraphQLClient) -> None:
    response = page(gateway)
    url = next(iter(references(response).scripts))
    digest = url.split("/")[1]
    stale = url.replace(digest, "0" * len(digest))
    assert gateway.http.get(response.url.join(stale)).status_code == 404


def test_default_query_is_the_example_leaderboard_and_runs_on_the_demo_data(
    gateway: GraphQLClient,
) -> None:
    assert DEFAULT_QUERY.startswith("# Welcome to Autopilot Gateway.")
    board = gateway.data(DEFAULT_QUERY)["candidates"]
    edges = board["edges"]
    assert len(edges) == 10
    assert board["totalCount"] >= len(edges)
    assert [edge["rank"] for edge in edges] == list(range(1, 11))
    f1 = [edge["node"]["f1"] for edge in edges]
    assert all(value >= 0.6 for value in f1)
    assert f1 == sorted(f1, reverse=True)


def test_page_hands_the_example_to_graphiql_as_its_default_query(gateway: GraphQLClient) -> None:
    config = page_config(page(gateway).text)
    assert config["defaultQuery"] == DEFAULT_QUERY
    # No `query`: GraphiQL then opens the tabs this browser saved, the example only without.
    assert "query" not in config and "variables" not in config


def test_setup_passes_graphiqls_own_props_from_the_page_data() -> None:
    setup = (Path(__file__).parent.parent / "gateway" / "graphiql" / "setup.js").read_text()
    for prop in ("defaultQuery", "query", "variables"):
        assert f"{prop}: config.{prop}," in setup
    assert "defaultTabs" not in setup  # it would ignore a shared link's query on a new browser


def test_a_shared_link_opens_the_page_with_its_operation_in_the_editor(
    gateway: GraphQLClient,
) -> None:
    variables = '{"job": "customer-churn-xgb"}'
    params = {"query": SHARED_QUERY, "variables": variables}
    response = gateway.http.get("/graphql", params=params, headers=NAVIGATION)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    config = page_config(response.text)
    assert config["query"] == SHARED_QUERY
    assert config["variables"] == variables
    assert config["defaultQuery"] == DEFAULT_QUERY
    assert config["styleNonce"] in policy(response)["style-src"]
    assert references(response).inline_scripts == []
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_shared_link_without_variables_opens_with_none(gateway: GraphQLClient) -> None:
    response = gateway.http.get("/graphql", params={"query": SHARED_QUERY}, headers=NAVIGATION)
    # "", not absent: GraphiQL would otherwise fill the new tab with the last tab's variables.
    assert page_config(response.text)["variables"] == ""


def test_a_shared_link_is_never_run_by_the_server(gateway: GraphQLClient) -> None:
    # Neither valid nor safe to echo: the page must hold it as data, and not run it.
    query = "{ noSuchField } # </script><script>alert(1)</script><!--"
    response = gateway.http.get("/graphql", params={"query": query}, headers=NAVIGATION)
    assert response.status_code == 200
    assert page_config(response.text)["query"] == query
    assert references(response).inline_scripts == []
    assert "<script>alert" not in response.text
    assert "Cannot query field" not in response.text  # what running it would have said


@pytest.mark.parametrize(
    "headers",
    [
        # fetch() from a page: what a cross-site script can send.
        {"Accept": "text/html", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
        {"Accept": "text/html", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"},
        # A frame (which the page's CSP would refuse to be shown in anyway).
        {"Accept": "text/html", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
        # Half a navigation, a navigation not asking for HTML, or no Sec-Fetch at all.
        {"Accept": "text/html", "Sec-Fetch-Mode": "navigate"},
        {"Accept": "text/html", "Sec-Fetch-Dest": "document"},
        {**NAVIGATION, "Accept": "application/json"},
        HTML,
    ],
    ids=["fetch", "no-cors", "iframe", "mode-only", "dest-only", "json", "no-sec-fetch"],
)
def test_other_gets_with_a_query_stay_graphql_requests_behind_the_csrf_guard(
    gateway: GraphQLClient, headers: dict[str, str]
) -> None:
    response = gateway.http.get("/graphql", params={"query": SHARED_QUERY}, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert "GraphQL-Require-Preflight" in response.text


def test_a_get_with_a_preflight_header_is_run_even_with_navigation_headers(
    gateway: GraphQLClient,
) -> None:
    headers = {**NAVIGATION, "GraphQL-Require-Preflight": "1"}
    response = gateway.http.get("/graphql", params={"query": SHARED_QUERY}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]["autoMLJob"]["autoMLJobName"] == "customer-churn-xgb"


def test_the_page_says_what_it_varies_on(gateway: GraphQLClient) -> None:
    shared = gateway.http.get("/graphql", params={"query": SHARED_QUERY}, headers=NAVIGATION)
    for response in (page(gateway), shared):
        vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
        assert {"accept", "sec-fetch-mode", "sec-fetch-dest"} <= vary


def test_page_markup_keeps_data_out_of_script_reach() -> None:
    assets = load_assets()
    shared = SharedOperation(query="{ a } </script><script>x()</script>", variables='{"b": "<"}')
    html = graphiql_page(assets, "n0nce", shared)
    parser = References()
    parser.feed(html)
    assert parser.inline_scripts == []
    assert html.count("</script>") == len(parser.scripts) + 1  # the assets and the JSON data
    config = page_config(html)
    assert config == {
        "defaultQuery": DEFAULT_QUERY,
        "styleNonce": "n0nce",
        "query": shared.query,
        "variables": shared.variables,
    }
    assert "query" not in page_config(graphiql_page(assets, "n0nce"))


def test_graphql_over_get_and_post_still_work(gateway: GraphQLClient) -> None:
    query = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobName } }'
    assert gateway.data(query)["autoMLJob"]["autoMLJobName"] == "customer-churn-xgb"
    for accept in ("application/json", "text/html"):
        headers = {"Accept": accept, "GraphQL-Require-Preflight": "1"}
        response = gateway.http.get("/graphql", params={"query": query}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["data"]["autoMLJob"]["autoMLJobName"] == "customer-churn-xgb"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def gateway_without_assets(
    gateway_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphQLClient, list[logging.LogRecord]]]:
    """A gateway built without `make assets`, and what it logged while starting."""
    handler = Records()
    records = handler.records
    logger = logging.getLogger("gateway.graphiql")
    logger.addHandler(handler)
    try:
        empty: Path = tmp_path_factory.mktemp("no-graphiql-assets")
        with running_gateway(gateway_settings, graphiql_assets=empty) as url:
            logger.removeHandler(handler)
            yield GraphQLClient(url), records
    finally:
        logger.removeHandler(handler)


def test_missing_assets_give_instructions_not_a_cdn(
    gateway_without_assets: tuple[GraphQLClient, list[logging.LogRecord]],
) -> None:
    gateway, _ = gateway_without_assets
    response = gateway.http.get("/graphql", headers=HTML)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "make assets" in response.text
    assert "graphiql.min.js" in response.text
    assert "<script" not in response.text and "<link" not in response.text
    assert not re.search(r"https?:", response.text)
    assert policy(response)["default-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_missing_assets_are_logged_at_startup(
    gateway_without_assets: tuple[GraphQLClient, list[logging.LogRecord]],
) -> None:
    _, records = gateway_without_assets
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "make assets" in warnings[0]


def test_missing_assets_leave_graphql_working(
    gateway_without_assets: tuple[GraphQLClient, list[logging.LogRecord]],
) -> None:
    gateway, _ = gateway_without_assets
    assert gateway.data("{ __typename }") == {"__typename": "Query"}


@pytest.fixture(scope="module")
def gateway_without_graphiql(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    settings = gateway_settings.model_copy(update={"graphiql": False})
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


def test_graphiql_can_be_turned_off(
    gateway: GraphQLClient, gateway_without_graphiql: GraphQLClient
) -> None:
    assert gateway_without_graphiql.http.get("/graphql", headers=HTML).status_code == 404
    for url in references(page(gateway)).scripts:
        assert gateway_without_graphiql.http.get(f"/{url}").status_code == 404
    assert gateway_without_graphiql.data("{ __typename }") == {"__typename": "Query"}
