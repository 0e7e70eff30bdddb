import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewDelivery } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against a
 * real server over a real SQLite file, fed real signed deliveries.
 *
 * UPDATE_SCREENSHOT=1 also writes docs/dashboard.png (the README's picture); CI leaves the
 * tree alone.
 */

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const XSS_TITLE = "<img src=x onerror=alert(1)>";
const ADMIN_TOKEN = "dashboard-test-token-0123456789";
const SCREENSHOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../docs/dashboard.png");

function findChromium(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

const executablePath = findChromium();
// In CI a missing browser is a failure (the .ci/run script installs it), never a silent skip.
const required = process.env.CI === "true";
const skipReason = "Chromium is not on PATH (apt-get install -y chromium): the dashboard's browser tests are skipped";
if (executablePath === null && !required) console.warn(skipReason);

interface Browser {
  context: BrowserContext;
  /** What a page did that a safe dashboard never does: dialogs (alert), script errors, CSP refusals. */
  incidents: string[];
  close: () => Promise<void>;
}

async function openBrowser(extraFlags: readonly string[] = []): Promise<Browser> {
  if (executablePath === null) throw new Error("Chromium is required when CI=true and is not on PATH: apt-get install -y chromium");
  const userDataDir = mkdtempSync(path.join(tmpdir(), "switchyard-chromium-"));
  // launchPersistentContext is how Playwright takes a --user-data-dir: a fresh one per run.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraFlags],
    viewport: { width: 1280, height: 860 },
    // A zone other than UTC and a 12-hour locale: the page must still show UTC, 24-hour.
    timezoneId: "America/New_York",
    locale: "en-US",
  });
  const incidents: string[] = [];
  context.on("page", (page) => watch(page, incidents));
  for (const page of context.pages()) watch(page, incidents);
  return {
    context,
    incidents,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

function watch(page: Page, incidents: string[]): void {
  page.on("dialog", (dialog) => {
    incidents.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => incidents.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) incidents.push(`CSP: ${message.text()}`);
  });
}

/** An issue whose title is markup and whose body reads as a bug, so IssueAgent labels and comments. */
function hostileIssue() {
  const payload = exampleOf("issues", "opened");
  payload.issue.title = XSS_TITLE;
  payload.issue.body = "The app crashes with an error on login. <script>alert(2)</script>";
  return payload;
}

function openedPullRequest() {
  const payload = exampleOf("pull_request", "opened");
  payload.pull_request.draft = false;
  return payload;
}

/** A delivery stored as the webhook stores one, without routing it: for lists longer than a page. */
function storedDelivery(id: string, event: string, receivedAt: number): NewDelivery {
  return { id, signature: null, event, action: null, repository: "octo/hello", installation: null, headers: {}, body: Buffer.from(JSON.stringify({ id })), receivedAt };
}

/** Types a filter's value into its field and applies it, as Enter does. */
async function typeFilter(page: Page, label: string, value: string): Promise<void> {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press("Enter");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the admin API's JSON, read loosely
async function adminJson(server: TestServer, route: string, token?: string): Promise<any> {
  const response = await fetch(server.adminUrl + route, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return response.json();
}

const suffix = executablePath === null && !required ? ` (skipped: ${skipReason})` : "";

describe.skipIf(executablePath === null && !required)(`the dashboard in Chromium${suffix}`, () => {
  let server: TestServer;
  let browser: Browser;
  let issueDelivery: string;
  let prDelivery: string;

  beforeAll(async () => {
    server = await startTestServer({
      // ReviewAgent is a program that fails with exit 1: a permanent failure, dead at once.
      agents: { ReviewAgent: { exec: [process.execPath, "-e", "console.error('boom: review failed'); process.exit(1)"] } },
    });
    const issue = await server.deliver("issues", hostileIssue());
    const pr = await server.deliver("pull_request", openedPullRequest());
    await server.deliver("ping", exampleOf("ping"));
    expect([issue.status, pr.status]).toEqual([202, 202]);
    issueDelivery = issue.body.delivery;
    prDelivery = pr.body.delivery;
    await waitFor(async () => {
      const [i, p] = await Promise.all([adminJson(server, `/api/deliveries/${issueDelivery}`), adminJson(server, `/api/deliveries/${prDelivery}`)]);
      return i.tasks[0]?.status === "succeeded" && p.tasks[0]?.status === "dead";
    });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("serves the page with a strict Content-Security-Policy and no data in it", async () => {
    const response = await fetch(server.adminUrl + "/");
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    // No inline script or style anywhere: the policy would refuse them.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toContain(issueDelivery);
    const script = await fetch(server.adminUrl + "/dashboard/app.js");
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
  });

  it("lists the deliveries, filters them, shows the KPI tiles and the dead task", async () => {
    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    const deliveries = page.getByRole("region", { name: "Recent deliveries" });
    await expect.poll(() => deliveries.getByRole("link", { name: issueDelivery }).count()).toBe(1);
    await expect.poll(() => deliveries.getByRole("link", { name: prDelivery }).count()).toBe(1);
    await expect.poll(() => deliveries.getByRole("row").count()).toBe(4); // header + issue, pull request, ping

    const prRow = deliveries.getByRole("row").filter({ has: page.getByRole("link", { name: prDelivery }) });
    expect(await prRow.innerText()).toMatch(/pull_request\.opened[\s\S]*ReviewAgent[\s\S]*failed/);
    const pingRow = deliveries.getByRole("row").filter({ hasText: "ping" });
    expect(await pingRow.innerText()).toMatch(/no rule matched[\s\S]*unrouted/);

    await typeFilter(page, "Event", "pull_request");
    await expect.poll(() => deliveries.getByRole("row").count()).toBe(2);
    await typeFilter(page, "Event", "");
    await page.getByLabel("Agent", { exact: true }).selectOption("IssueAgent");
    await expect.poll(() => deliveries.getByRole("link").allInnerTexts()).toEqual([issueDelivery]);
    await page.getByLabel("Agent", { exact: true }).selectOption("");
    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    await expect.poll(() => deliveries.getByRole("link").allInnerTexts()).toEqual([prDelivery]);
    await page.getByLabel("Status", { exact: true }).selectOption("");
    const issueRepository = (await adminJson(server, `/api/deliveries/${issueDelivery}`)).repository;
    const sameRepository = (await adminJson(server, "/api/deliveries")).filter((d: { repository: string }) => d.repository === issueRepository).length;
    await typeFilter(page, "Repository", issueRepository);
    await expect.poll(() => deliveries.getByRole("link").count()).toBe(sameRepository);
    await typeFilter(page, "Repository", "");
    await expect.poll(() => deliveries.getByRole("row").count()).toBe(4);

    const kpis = page.getByRole("region", { name: "KPIs, last 24 hours" });
    await expect.poll(() => kpis.getByRole("listitem").count()).toBe(6);
    expect(await kpis.innerText()).toContain("Event routing success rate");

    const dead = page.getByRole("region", { name: "Dead tasks" });
    await expect.poll(() => dead.getByRole("button", { name: /^Replay task \d+ \(ReviewAgent\)$/ }).count()).toBe(1);
    expect(await dead.innerText()).toContain("ReviewAgent");
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("shows every time in UTC, 24-hour, marked UTC, whatever the browser's zone", async () => {
    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    const deliveries = page.getByRole("region", { name: "Recent deliveries" });
    const issueRow = deliveries.getByRole("row").filter({ has: page.getByRole("link", { name: issueDelivery }) });
    await expect.poll(() => issueRow.count()).toBe(1);
    const receivedAt: string = (await adminJson(server, `/api/deliveries/${issueDelivery}`)).received_at;
    const shown = `${receivedAt.slice(0, 10)} ${receivedAt.slice(11, 19)} UTC`;
    expect(await issueRow.locator("time").innerText()).toBe(shown);
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe("America/New_York");
    await expect.poll(() => page.locator("#updated").innerText()).toMatch(/^Updated ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC$/);
    const dead = page.getByRole("region", { name: "Dead tasks" });
    await expect.poll(() => dead.locator("time").count()).toBe(1);
    expect(await dead.locator("time").innerText()).toMatch(/^\d{4}-\d\d-\d\d ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC$/);
    await issueRow.getByRole("link", { name: issueDelivery }).click();
    const summary = page.getByRole("region", { name: "Summary" });
    await expect.poll(() => summary.innerText()).toContain(`Received\n${shown}`);
    expect(await page.getByRole("region", { name: "Tasks" }).locator("time").first().innerText()).toMatch(/ UTC$/);
    await page.close();
  });

  it("shows a task skipped for a held idempotency key as skipped, with the holder, not as an error", async () => {
    // A second push of the same sha: its deploy task is stored skipped; the first holds the key.
    const later = Date.now() + 3_600_000;
    const deploy = { rule: "deploy-main", agent: "DeploymentAgent", action: "Deploy", priority: "high" as const, idempotencyKey: "deploy:octo/hello:abc123:production", runAt: later };
    const first = await server.store.accept(storedDelivery("dash-push-1", "push", Date.now()), [deploy], { replayWindowMs: 0 });
    const second = await server.store.accept(storedDelivery("dash-push-2", "push", Date.now()), [deploy], { replayWindowMs: 0 });
    if (first.duplicate || second.duplicate) throw new Error("not stored");
    const holder = first.tasks[0]!.id;
    const skipped = second.tasks[0]!;
    expect(skipped.status).toBe("skipped");

    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    const row = page.getByRole("region", { name: "Recent deliveries" }).getByRole("row").filter({ has: page.getByRole("link", { name: "dash-push-2" }) });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toMatch(/DeploymentAgent skipped[\s\S]*succeeded/);
    await row.getByRole("link", { name: "dash-push-2" }).click();
    const tasks = page.getByRole("region", { name: "Tasks" });
    await expect.poll(() => tasks.innerText()).toContain(`Not run, nor will it be unless replayed: task ${holder} already holds its idempotency key deploy:octo/hello:abc123:production.`);
    const text = await tasks.innerText();
    expect(text).not.toContain("Last error");
    expect(text).not.toContain("Not run yet");
    expect(text).toContain("None: the task was skipped.");
    expect(await page.getByRole("region", { name: "Routing" }).innerText()).toContain("the task was skipped: another task already holds its idempotency key, so nothing ran");
    expect(await page.getByRole("region", { name: "Summary" }).innerText()).toContain("every task skipped: nothing ran");
    // The holder's words link to its delivery.
    const link = tasks.getByRole("link", { name: `task ${holder}` });
    await expect.poll(() => link.getAttribute("href")).toBe("#/delivery/dash-push-1");
    await link.click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toBe("Delivery dash-push-1");
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("shows the dead task's error, replays it exactly once more, and shows recorded writes", async () => {
    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    await page.getByRole("region", { name: "Recent deliveries" }).getByRole("link", { name: prDelivery }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toBe(`Delivery ${prDelivery}`);

    const before = await adminJson(server, `/api/deliveries/${prDelivery}`);
    const task = before.tasks[0];
    expect(task.attempt_log).toHaveLength(1);
    const tasks = page.getByRole("region", { name: "Tasks" });
    const attempts = tasks.getByRole("table", { name: `Attempts of task ${task.id}` });
    await expect.poll(() => attempts.getByRole("row").count()).toBe(2);
    expect(await attempts.innerText()).toContain(task.attempt_log[0].error);
    expect(await attempts.innerText()).toContain("boom: review failed");
    expect(await page.getByRole("region", { name: "Routing" }).innerText()).toMatch(/Rule pr-opened won at priority high: ReviewAgent runs Run quality checks/);
    // Its recorded writes: the routing comment naming the dead task, in dry-run.
    const routingComment = task.github_writes.find((w: { route: string }) => w.route.endsWith("/comments"));
    expect(routingComment.dry_run).toBe(true);
    const deadWrites = tasks.getByRole("list", { name: `GitHub writes of task ${task.id}` });
    expect(await deadWrites.innerText()).toContain(`${routingComment.method} ${routingComment.route}`);
    expect(await deadWrites.innerText()).toContain("ReviewAgent (pr-opened)");

    const replay = tasks.getByRole("button", { name: `Replay task ${task.id} (ReviewAgent)` });
    // A double click sends one replay: the button is disabled once pressed.
    await replay.dblclick();
    await expect.poll(() => page.getByRole("status").innerText()).toContain(`Task ${task.id} (ReviewAgent) was queued again`);
    await expect.poll(() => attempts.getByRole("row").count(), { timeout: 15_000 }).toBe(3);
    await expect.poll(async () => (await adminJson(server, `/api/tasks/${task.id}`)).status, { timeout: 15_000 }).toBe("dead");
    // Give a stray second replay time to show itself (the worker polls every second): none comes.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const after = await adminJson(server, `/api/tasks/${task.id}`);
    expect(after.attempts).toBe(2);
    expect(after.attempt_log.map((a: { n: number; outcome: string }) => [a.n, a.outcome])).toEqual([
      [1, "permanent"],
      [2, "permanent"],
    ]);
    expect(await attempts.getByRole("row").count()).toBe(3);

    // The dry-run writes IssueAgent recorded: label names and the comment body, as text.
    await page.goto(`${server.adminUrl}/#/delivery/${encodeURIComponent(issueDelivery)}`);
    const issueTasks = page.getByRole("region", { name: "Tasks" });
    const writes = issueTasks.getByRole("list", { name: /^GitHub writes of task/ });
    await expect.poll(() => writes.getByRole("listitem").count()).toBeGreaterThanOrEqual(2);
    const recorded = (await adminJson(server, `/api/deliveries/${issueDelivery}`)).tasks[0].github_writes;
    const label = recorded.find((w: { route: string }) => /\/issues\/\d+\/labels$/.test(w.route));
    const comment = recorded.find((w: { route: string; method: string }) => w.route.endsWith("/comments") && w.method === "POST");
    expect(label && comment).toBeTruthy();
    const writesText = await writes.innerText();
    expect(writesText).toContain(`POST ${label.route}`);
    for (const name of label.body.labels) expect(writesText).toContain(name);
    expect(writesText).toContain(comment.body.body.split("\n")[0]);
    expect(writesText).toContain("dry-run");
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("shows an attacker's markup as text", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/${encodeURIComponent(issueDelivery)}`);
    const payload = page.getByRole("region", { name: "Payload" });
    await payload.locator("summary", { hasText: /^issue: / }).click();
    await expect.poll(() => payload.getByText(JSON.stringify(XSS_TITLE), { exact: true }).count()).toBe(1);
    await payload.getByText("Raw JSON").click();
    expect(await payload.locator("pre").innerText()).toContain(`"title": "${XSS_TITLE}"`);
    // Markup in the data never became elements, and no script of it ran.
    expect(await page.locator("main img, main script").count()).toBe(0);
    expect(browser.incidents).toEqual([]);

    if (process.env.UPDATE_SCREENSHOT === "1") {
      await page.goto(server.adminUrl + "/");
      await page.getByRole("region", { name: "Recent deliveries" }).getByRole("link", { name: prDelivery }).waitFor();
      await page.screenshot({ path: SCREENSHOT });
      await page.getByRole("region", { name: "Recent deliveries" }).getByRole("link", { name: prDelivery }).click();
      await page.getByRole("region", { name: "Tasks" }).getByRole("heading", { level: 3 }).first().waitFor();
      await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-delivery.png"), fullPage: true });
    }
    await page.close();
  });

  it("shows a delivery whose body nests 8,000 levels deep", async () => {
    const depth = 8000;
    const opened = JSON.stringify(exampleOf("issues", "opened"));
    const raw = `${opened.slice(0, -1)},"deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    const deep = await server.deliver("issues", null, { raw });
    expect(deep.status).toBe(202);
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/${encodeURIComponent(deep.body.delivery)}`);
    const summary = page.getByRole("region", { name: "Summary" });
    await expect.poll(() => summary.innerText()).toContain("issues.opened");
    const payload = page.getByRole("region", { name: "Payload" });
    // The folding view opens one level at a time, however deep.
    await payload.locator("summary", { hasText: /^deep: / }).click();
    await expect.poll(() => payload.locator("summary", { hasText: /^a: / }).count()).toBe(1);
    // The indented text would overflow JSON.stringify: a note says where to read it whole.
    await payload.getByText("Raw JSON").click();
    expect(await payload.innerText()).toContain(`switchyard deliveries show ${deep.body.delivery} --json`);
    expect(await page.getByRole("alert").isVisible()).toBe(false);
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("says a body retention emptied was pruned, not that it is not JSON", async () => {
    const pruned = await server.deliver("issues", exampleOf("issues", "opened"));
    expect(pruned.status).toBe(202);
    const at = Date.UTC(2026, 0, 2);
    // As the pruner leaves it (store.retention.bodies).
    (server.store as unknown as SqliteStore).db.prepare("UPDATE deliveries SET body = X'', body_pruned_at = ? WHERE id = ?").run(at, pruned.body.delivery);
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/${encodeURIComponent(pruned.body.delivery)}`);
    const payload = page.getByRole("region", { name: "Payload" });
    await expect.poll(() => payload.innerText()).toContain("Emptied by retention at 2026-01-02T00:00:00.000Z (store.retention.bodies)");
    expect(await payload.innerText()).not.toContain("not a JSON object");
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("tells a plan handed over by an agent from a lower rule that ran too", async () => {
    // As /agent execute leaves a delivery: the command's rule, then the plan CoordinatorAgent added.
    await server.store.accept(storedDelivery("dash-handed-over", "issue_comment", Date.now()), [
      { rule: "comment-command", agent: "CoordinatorAgent", action: "Run the command", priority: "critical", idempotencyKey: null },
      { rule: "execute-plan", agent: "ExecutionAgent", action: "Execute plan", priority: "high", idempotencyKey: null },
    ], { replayWindowMs: 0 });
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/dash-handed-over`);
    const routing = page.getByRole("region", { name: "Routing" });
    await expect.poll(() => routing.innerText()).toContain("Handed over by an agent as it ran (the plan of /agent execute, run as a task of its own):");
    expect(await routing.innerText()).not.toContain("Lower rules ran too");
    await page.close();
  });

  it("shows a delivery whose id is 200 characters long, as the webhook takes, opened as localhost", async () => {
    const payload = exampleOf("issues", "opened");
    payload.issue.number = 200;
    const id = "long-".padEnd(200, "0123456789");
    expect((await server.deliver("issues", payload, { delivery: id })).status).toBe(202);
    const page = await browser.context.newPage();
    // Another loopback name than the test's 127.0.0.1: its Host and Origin are loopback too.
    await page.goto(`${server.adminUrl.replace("127.0.0.1", "localhost")}/#/delivery/${encodeURIComponent(id)}`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toBe(`Delivery ${id}`);
    await expect.poll(() => page.getByRole("region", { name: "Summary" }).innerText()).toContain("issues.opened");
    expect(await page.getByRole("alert").isVisible()).toBe(false);
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("says why a duplicate's id is not on record, and where its trace is", async () => {
    const again = await server.deliver("issues", null, { raw: (await server.store.getDelivery(issueDelivery))!.body, delivery: "dashboard-dup-1" });
    expect(again.body).toMatchObject({ duplicate: true, duplicate_of: issueDelivery });
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/dashboard-dup-1`);
    await expect.poll(() => page.locator(".delivery").innerText()).toContain("No delivery with this id is on record.");
    const text = await page.locator(".delivery").innerText();
    expect(text).toContain("A duplicate (the same body as a stored delivery) and a refused request (bad signature, rate limit, too large…) are not stored");
    expect(text).toContain("the server's log names the delivery id of a duplicate (with duplicate_of, the stored one), of a failed signature check and, at info, of a request refused as malformed or too large");
    await page.close();
  });
});

describe.skipIf(executablePath === null && !required)(`the dashboard over more deliveries than it loads at once${suffix}`, () => {
  let server: TestServer;
  let browser: Browser;
  const t0 = Date.now() - 3_600_000;

  beforeAll(async () => {
    server = await startTestServer();
    // 8 releases, older than 230 pushes: none of them among the 200 newest.
    for (let i = 0; i < 238; i++) {
      const event = i < 8 ? "release" : "push";
      await server.store.accept(storedDelivery(`page-${String(i).padStart(3, "0")}`, event, t0 + i * 1000), [], { replayWindowMs: 0 });
    }
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("asks the API to filter, so older matches are found, and shows older deliveries on request", async () => {
    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    const deliveries = page.getByRole("region", { name: "Recent deliveries" });
    const older = deliveries.getByRole("button", { name: "Show older" });
    await expect.poll(() => deliveries.getByRole("row").count()).toBe(201);
    expect(await deliveries.locator("caption").innerText()).toBe("The 200 newest deliveries loaded");
    expect(await older.isVisible()).toBe(true);

    // Every release is older than the newest 200: the API finds all 8.
    await typeFilter(page, "Event", "release");
    await expect.poll(() => deliveries.getByRole("link").count()).toBe(8);
    expect(await deliveries.locator("caption").innerText()).toBe("All 8 deliveries with event release");
    expect(await older.isVisible()).toBe(false);
    // A name the API refuses is said in the list, with its suggestion.
    await typeFilter(page, "Event", "relase");
    await expect.poll(() => deliveries.innerText()).toContain('No delivery listed: event "relase" is not a GitHub webhook event: did you mean release?');
    await typeFilter(page, "Event", "");
    await expect.poll(() => deliveries.getByRole("row").count()).toBe(201);

    // A delivery that arrived since the last refresh does not keep Show older from reaching the older page.
    await server.store.accept(storedDelivery("page-early", "push", Date.now()), [], { replayWindowMs: 0 });
    // The rows drawn already stay as they are (only the new page is built): marked here, still marked after.
    await deliveries.locator("tbody tr").nth(5).evaluate((tr) => tr.setAttribute("data-drawn-before", "yes"));
    await older.click();
    await expect.poll(() => deliveries.getByRole("link").last().innerText()).toBe("page-000");
    expect(await older.isVisible()).toBe(false);
    await expect.poll(() => deliveries.getByRole("row").count(), { timeout: 5000 }).toBe(240);
    expect(await deliveries.locator("tr[data-drawn-before]").count()).toBe(1);
    // A delivery arriving meanwhile joins the top; the live refresh keeps every older one shown.
    await server.store.accept(storedDelivery("page-new", "push", Date.now()), [], { replayWindowMs: 0 });
    await expect.poll(() => deliveries.getByRole("link").first().innerText(), { timeout: 5000 }).toBe("page-new");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await deliveries.getByRole("row").count()).toBe(241);
    expect(browser.incidents).toEqual([]);
    await page.close();
  });
});

describe.skipIf(executablePath === null && !required)(`the dashboard behind ADMIN_TOKEN${suffix}`, () => {
  let server: TestServer;
  let browser: Browser;
  let delivery: string;

  beforeAll(async () => {
    server = await startTestServer({ admin: { token: ADMIN_TOKEN } });
    delivery = (await server.deliver("issues", exampleOf("issues", "opened"))).body.delivery;
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("serves the page without the token, but no data", async () => {
    expect((await fetch(server.adminUrl + "/")).status).toBe(200);
    expect((await fetch(server.adminUrl + "/api/deliveries")).status).toBe(401);
    expect((await fetch(server.adminUrl + "/dashboard/missing.js")).status).toBe(401);
    // The page's other likely addresses lead to it, without the token.
    for (const alias of ["/index.html", "/dashboard", "/dashboard/", "/dashboard/index.html"]) {
      const response = await fetch(server.adminUrl + alias, { redirect: "manual" });
      expect(response.status, alias).toBe(302);
      expect(response.headers.get("location"), alias).toBe("/");
    }
  });

  it("asks for the token, refuses a wrong one, and keeps the right one for the tab", async () => {
    const page = await browser.context.newPage();
    await page.goto(server.adminUrl + "/");
    const token = page.getByLabel("Token");
    await token.fill("wrong-token");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await expect.poll(() => page.getByRole("main").innerText()).toContain("That token was refused.");
    await token.fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await expect.poll(() => page.getByRole("link", { name: delivery }).count()).toBe(1);
    await page.reload();
    await expect.poll(() => page.getByRole("link", { name: delivery }).count()).toBe(1);
    expect(browser.incidents).toEqual([]);
    await page.close();
  });

  it("takes the token from a #token= fragment once and removes it from the address bar", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#token=${ADMIN_TOKEN}`);
    await expect.poll(() => page.getByRole("link", { name: delivery }).count()).toBe(1);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    await page.close();
  });
});

describe.skipIf(executablePath === null && !required)(`writes GitHub refused, in Chromium${suffix}`, () => {
  let fake: GithubFake;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    fake = await startGithubFake();
    fake.seedFromPayload("issues", exampleOf("issues", "opened"));
    // IssueAgent's first write (creating its label) refused, and the routing comment after it too.
    fake.failAlways({ method: "POST", path: /\/labels$/, status: 403, body: { message: "Resource not accessible by integration" } });
    fake.failAlways({ method: "POST", path: /\/comments$/, status: 403, body: { message: "Resource not accessible by integration" } });
    server = await startTestServer({ github: { token: "ghp_dashboard_failed_write", apiUrl: fake.url, writeIntervalMs: 0 } });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await fake?.close();
  });

  it("lists the agent's refused write and the refused routing comment, marked failed, where nothing went through", async () => {
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    expect(res.status).toBe(202);
    const delivery = res.body.delivery;
    const task = await waitFor(async () => {
      const found = (await adminJson(server, `/api/deliveries/${delivery}`)).tasks[0];
      return found?.status === "dead" && found.attempt_log[0]?.output ? found : undefined;
    }, 20_000);
    expect(task.github_writes).toEqual([]);
    expect(task.attempt_log).toHaveLength(1);
    const [attempt] = task.attempt_log;
    expect(attempt.error).toMatch(/^POST \/repos\/Codertocat\/Hello-World\/labels: HTTP 403 /);
    expect(attempt.output).toMatch(/^switchyard: the routing comment on Codertocat\/Hello-World#1 failed \(the task's outcome stands\): POST \/repos\/Codertocat\/Hello-World\/issues\/1\/comments: HTTP 403 /m);
    expect(task.failed_writes).toEqual([
      { method: "POST", route: "/repos/Codertocat/Hello-World/labels", attempt: 1, see: "error" },
      { method: "POST", route: "/repos/Codertocat/Hello-World/issues/1/comments", attempt: 1, see: "output" },
    ]);

    const page = await browser.context.newPage();
    await page.goto(`${server.adminUrl}/#/delivery/${encodeURIComponent(delivery)}`);
    const tasks = page.getByRole("region", { name: "Tasks" });
    const writes = tasks.getByRole("list", { name: `GitHub writes of task ${task.id}` });
    await expect.poll(() => writes.getByRole("listitem").count()).toBe(2);
    expect(await tasks.innerText()).toContain("None went through:");
    const items = await writes.getByRole("listitem").allInnerTexts();
    expect(items[0]).toMatch(/^POST \/repos\/Codertocat\/Hello-World\/labels\s+failed\s+in attempt 1, not recorded: see its error$/);
    expect(items[1]).toMatch(/^POST \/repos\/Codertocat\/Hello-World\/issues\/1\/comments\s+failed\s+in attempt 1, not recorded: see its output$/);
    expect(browser.incidents).toEqual([]);
    await page.close();
  });
});

describe.skipIf(executablePath === null && !required)(`the admin listener without a token, against another site's page in Chromium${suffix}`, () => {
  let server: TestServer;
  let browser: Browser;
  let attacker: Server;
  let attackerPort: number;
  let adminPort: string;
  let deadTask: string;

  beforeAll(async () => {
    server = await startTestServer({ agents: { ReviewAgent: { exec: [process.execPath, "-e", "process.exit(1)"] } } });
    adminPort = new URL(server.adminUrl).port;
    const pr = await server.deliver("pull_request", openedPullRequest());
    await waitFor(async () => (await adminJson(server, `/api/deliveries/${pr.body.delivery}`)).tasks[0]?.status === "dead");
    deadTask = (await adminJson(server, `/api/deliveries/${pr.body.delivery}`)).tasks[0].id;
    // The other site: a page whose script POSTs to the loopback admin API, as a form would.
    attacker = createServer((_request, response) => {
      response.setHeader("content-type", "text/html");
      response.end(
        `<!doctype html><title>evil</title><script>fetch("http://127.0.0.1:${adminPort}/api/tasks/${deadTask}/replay", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: "x" }).then(() => (document.title = "sent"), () => (document.title = "failed"));</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
    // evil.example resolves to 127.0.0.1 in this browser: what DNS rebinding achieves.
    browser = await openBrowser(["--host-resolver-rules=MAP evil.example 127.0.0.1"]);
  });

  afterAll(async () => {
    await browser?.close();
    attacker?.close();
    await server?.stop();
  });

  it("answers a rebound name 403 SWY_E_FORBIDDEN_HOST, for the page and for the API", async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`http://evil.example:${adminPort}/api/deliveries`);
    expect(response?.status()).toBe(403);
    expect(JSON.parse(await page.locator("body").innerText()).error.code).toBe("SWY_E_FORBIDDEN_HOST");
    expect((await page.goto(`http://evil.example:${adminPort}/`))?.status()).toBe(403);
    await page.close();
  });

  it("refuses another site's POST: the dead task is not replayed", async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://evil.example:${attackerPort}/`);
    await expect.poll(() => page.title()).toBe("sent");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await adminJson(server, `/api/tasks/${deadTask}`)).toMatchObject({ status: "dead", attempts: 1 });
    await page.close();
  });
});
