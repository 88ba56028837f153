// Drives the gateway's GraphiQL page in headless Chromium like a user would: sets a bearer
// token in the headers editor, runs the default query, opens the settings dialog and the
// explorer. Prints what happened as one JSON object; tests/browser/ judges it.
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

const report = {
  token: TOKEN,
  error: null,
  offOriginRequests: [],
  failedResponses: [],
  consoleErrors: [],
  pageErrors: [],
  cspViolations: [],
  authorizationSent: [],
  result: null,
  settingsDialogShown: false,
  explorerShown: false,
  storage: null,
};

async function useGraphiQL(page) {
  await page.goto(`${origin}/graphql`, { waitUntil: "load" });
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();

  await page.getByRole("button", { name: "Headers" }).click();
  await page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").click();
  await page.keyboard.type(`{"Authorization": "Bearer ${TOKEN}"}`);

  await page.getByRole("button", { name: /Execute query/ }).click();
  const response = page.locator(".graphiql-response .CodeMirror");
  await response.getByText('"candidateName"').first().waitFor();
  // The whole result: CodeMirror renders only the lines in view.
  report.result = await response.evaluate((element) => element.CodeMirror.getValue());

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
  await context.routeWebSocket(/.*/, (ws) => {
    report.offOriginRequests.push(ws.url());
    ws.close();
  });
  // Runs before the page's own scripts, and CSP does not apply to it.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`);
    });
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") report.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) report.failedResponses.push(`${response.status()} ${response.url()}`);
  });
  page.on("request", (request) => {
    const isQuery = request.method() === "POST" && new URL(request.url()).pathname === "/graphql";
    if (isQuery && !(request.postData() ?? "").includes("IntrospectionQuery")) {
      report.authorizationSent.push(request.headers()["authorization"] ?? null);
    }
  });

  try {
    await useGraphiQL(page);
  } catch (error) {
    report.error = String(error);
  }
  report.cspViolations = await page.evaluate(() => window.__cspViolations);
  report.storage = await page.evaluate(() => JSON.stringify(window.localStorage));
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + "\n");
