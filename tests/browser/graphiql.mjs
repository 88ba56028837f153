// Drives the gateway's GraphiQL page in headless Chromium like a user would, on a fresh
// profile: reads the example the editor opens with, sets a bearer token in the headers editor,
// runs the example, opens the settings dialog and the explorer; then comes back as a returning
// user (an edited tab, a reload) and opens a shared link (/graphql?query=...&variables=...).
// Then runs a subscription, over a WebSocket to the gateway itself.
// Prints what happened as one JSON object; tests/browser/ judges it.
//
// usage: node tests/browser/graphiql.mjs GATEWAY_URL CHROMIUM_PATH [SCREENSHOT.png]
//
// Every request to another origin is aborted and reported: the page must work offline.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

const [gatewayUrl, executablePath, screenshotPath] = process.argv.slice(2);
const origin = new URL(gatewayUrl).origin;
const TOKEN = "e2e-test-token";
// What the returning user leaves in their tab, and what a colleague's link holds.
const EDITED_QUERY = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }';
const SHARED_QUERY = "query Shared($job: String!) { autoMLJob(name: $job) { autoMLJobName } }";
const SHARED_VARIABLES = '{"job": "customer-churn-xgb-rerun"}';
const SUBSCRIPTION =
  'subscription { leaderboardUpdates(jobName: "customer-churn-xgb", first: 2) { totalCount } }';

const report = {
  token: TOKEN,
  error: null,
  offOriginRequests: [],
  failedResponses: [],
  consoleErrors: [],
  pageErrors: [],
  cspViolations: [],
  authorizationSent: [],
  editedQuery: EDITED_QUERY,
  sharedQuery: SHARED_QUERY,
  sharedVariables: SHARED_VARIABLES,
  initialQuery: null,
  result: null,
  settingsDialogShown: false,
  explorerShown: false,
  storage: null,
  finalStorage: null,
  returning: null,
  shared: null,
  subscription: null,
  webSockets: [],
};

const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";

// The whole text of an editor: CodeMirror renders only the lines in view.
function editorValue(page, selector) {
  return page.locator(selector).first().evaluate((element) => element.CodeMirror.getValue());
}

// The tabs GraphiQL saved: their queries and variables, and which one is active.
async function savedTabs(page) {
  const saved = await page.evaluate(() => window.localStorage.getItem("graphiql:tabState"));
  if (!saved) return null;
  const state = JSON.parse(saved);
  return {
    active: state.activeTabIndex,
    tabs: state.tabs.map((tab) => ({ query: tab.query, variables: tab.variables })),
  };
}

// GraphQL operations the page sent (introspection aside), counted from here on.
let operationsSent = 0;

async function useGraphiQL(page) {
  await page.goto(`${origin}/graphql`, { waitUntil: "load" });
  await page.locator(QUERY_EDITOR).waitFor();
  report.initialQuery = await editorValue(page, QUERY_EDITOR);

  await page.getByRole("button", { name: "Headers" }).click();
  await page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").click();
  await page.keyboard.type(`{"Authorization": "Bearer ${TOKEN}"}`);

  // The run button, as the example's first line tells a newcomer.
  await page.getByRole("button", { name: /Execute query/ }).click();
  const response = page.locator(".graphiql-response .CodeMirror");
  await response.getByText('"rank"').first().waitFor();
  report.result = await editorValue(page, ".graphiql-response .CodeMirror");

  // Radix's dialog adds a <style> element while open: the page's CSP must allow it.
  await page.getByRole("button", { name: "Open settings dialog" }).click();
  await page.getByRole("dialog").getByText("Persist headers").waitFor();
  report.settingsDialogShown = true;
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached" });

  await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
  await page.locator(".graphiql-explorer-root").getByText("candidates").first().waitFor();
  report.explorerShown = true;

  if (screenshotPath) await page.screenshot({ path: screenshotPath });
}

// The same browser later: its edited tab must come back, not the example.
async function comeBack(page) {
  await page
    .locator(QUERY_EDITOR)
    .evaluate((element, query) => element.CodeMirror.setValue(query), EDITED_QUERY);
  // GraphiQL saves its tabs a moment after an edit.
  await page.waitForFunction((query) => {
    const saved = JSON.parse(window.localStorage.getItem("graphiql:tabState") ?? "null");
    return saved?.tabs.some((tab) => tab.query === query) ?? false;
  }, EDITED_QUERY);
  await page.reload({ waitUntil: "load" });
  await page.locator(QUERY_EDITOR).waitFor();
  report.returning = {
    query: await editorValue(page, QUERY_EDITOR),
    saved: await savedTabs(page),
  };
}

// A colleague's link: its operation opens in the editor, beside the saved tab, and nothing runs.
async function openSharedLink(page) {
  const link = new URL("/graphql", origin);
  link.searchParams.set("query", SHARED_QUERY);
  link.searchParams.set("variables", SHARED_VARIABLES);
  operationsSent = 0;
  const answer = await page.goto(link.href, { waitUntil: "load" });
  await page.locator(QUERY_EDITOR).waitFor();
  await page.getByRole("button", { name: /Execute query/ }).waitFor();
  // Time for anything that would run by itself to run.
  await page.waitForTimeout(1000);
  report.shared = {
    status: answer.status(),
    contentType: answer.headers()["content-type"] ?? null,
    query: await editorValue(page, QUERY_EDITOR),
    response: await editorValue(page, ".graphiql-response .CodeMirror"),
    saved: await savedTabs(page),
    operationsSent,
  };
}

// A subscription runs over a WebSocket to the page's own origin, under the page's CSP.
async function runSubscription(page) {
  await page
    .locator(QUERY_EDITOR)
    .evaluate((element, query) => element.CodeMirror.setValue(query), SUBSCRIPTION);
  // GraphiQL parses an edit a moment later, and tells a subscription by the parsed document.
  await page.waitForTimeout(500);
  await page.getByRole("button", { name: /Execute query/ }).click();
  const response = page.locator(".graphiql-response .CodeMirror");
  await response.getByText('"totalCount"').first().waitFor();
  report.subscription = await editorValue(page, ".graphiql-response .CodeMirror");
}

const userDataDir = await mkdtemp(join(tmpdir(), "graphiql-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  viewport: { width: 1400, height: 900 },
  timeout: 30_000,
});
context.setDefaultTimeout(15_000);
try {
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    report.offOriginRequests.push(url);
    return route.abort("blockedbyclient");
  });
  const offOrigin = (url) => new URL(url).host !== new URL(origin).host;
  await context.routeWebSocket(offOrigin, (ws) => {
    report.offOriginRequests.push(ws.url());
    ws.close();
  });
  // Every page this context loads reports its CSP violations here. The listener runs before
  // the page's own scripts, and CSP does not apply to it.
  await context.exposeFunction("__reportCspViolation", (violation) => {
    report.cspViolations.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__reportCspViolation(`${event.violatedDirective}: ${event.blockedURI}`);
    });
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") report.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("websocket", (ws) => report.webSockets.push(ws.url()));
  page.on("response", (response) => {
    if (response.status() >= 400) report.failedResponses.push(`${response.status()} ${response.url()}`);
  });
  page.on("request", (request) => {
    const isQuery = request.method() === "POST" && new URL(request.url()).pathname === "/graphql";
    if (isQuery && !(request.postData() ?? "").includes("IntrospectionQuery")) {
      report.authorizationSent.push(request.headers()["authorization"] ?? null);
      operationsSent += 1;
    }
  });

  try {
    await useGraphiQL(page);
    // Right after a run with the token in the headers editor.
    report.storage = await page.evaluate(() => JSON.stringify(window.localStorage));
    await comeBack(page);
    await openSharedLink(page);
    await runSubscription(page);
  } catch (error) {
    report.error = String(error);
  }
  report.finalStorage = await page.evaluate(() => JSON.stringify(window.localStorage));
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + "\n");
