// Starts GraphiQL on the gateway's page. It is a file of its own, not an inline script, so the
// page's Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("graphiql-config").textContent);

  // GraphiQL's dialogs add a <style> element (react-remove-scroll), tagged with this nonce if
  // set; the page's CSP allows styles carrying it.
  window.__webpack_nonce__ = config.styleNonce;

  var PERSIST_HEADERS = "graphiql:shouldPersistHeaders";
  var HISTORY = ["graphiql:queries", "graphiql:favorites"];

  // GraphiQL 3 writes each run's headers into its history in localStorage even when headers
  // are not to be persisted, which would keep bearer tokens in the browser. This storage
  // drops them from the history unless the user turned on "Persist headers".
  function withoutHeaders(history) {
    var parsed = JSON.parse(history);
    parsed.queries = (parsed.queries || []).map(function (entry) {
      var copy = Object.assign({}, entry);
      delete copy.headers;
      return copy;
    });
    return JSON.stringify(parsed);
  }

  var storage = {
    getItem: function (key) {
      return window.localStorage.getItem(key);
    },
    setItem: function (key, value) {
      var persisting = window.localStorage.getItem(PERSIST_HEADERS) === "true";
      if (HISTORY.indexOf(key) >= 0 && !persisting) {
        value = withoutHeaders(value);
      }
      window.localStorage.setItem(key, value);
    },
    removeItem: function (key) {
      window.localStorage.removeItem(key);
    },
    // GraphiQL's "Clear storage" removes only its own keys.
    clear: function () {
      Object.keys(window.localStorage)
        .filter(function (key) {
          return key.indexOf("graphiql:") === 0;
        })
        .forEach(function (key) {
          window.localStorage.removeItem(key);
        });
    },
    get length() {
      return window.localStorage.length;
    },
  };

  var fetcher = GraphiQL.createFetcher({
    // This very page's URL: GraphQL is served where GraphiQL is.
    url: window.location.pathname,
    // Subscriptions over graphql-transport-ws on the same URL; the headers editor's headers
    // (a bearer token) become the connection_init payload, which the gateway authenticates.
    subscriptionUrl:
      (window.location.protocol === "https:" ? "wss://" : "ws://") +
      window.location.host +
      window.location.pathname,
  });

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      // The first tab, when this browser has no saved tabs (GraphiQL reads its storage first).
      defaultQuery: config.defaultQuery,
      // A shared link's operation (/graphql?query=...&variables=...): GraphiQL opens it in a
      // tab of its own beside the saved ones, or selects the saved tab that already holds it.
      // Undefined on a plain visit. Nothing runs until the user runs it.
      query: config.query,
      variables: config.variables,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      isHeadersEditorEnabled: true,
      // Headers, such as a bearer token, stay out of localStorage unless the user turns on
      // "Persist headers" in GraphiQL's settings.
      shouldPersistHeaders: false,
      showPersistHeadersSettings: true,
      inputValueDeprecation: true,
    })
  );
})();
