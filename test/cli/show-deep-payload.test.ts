import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presentDelivery, stringifyDelivery } from "../../src/present/records.js";
import { renderDeliveryDetail } from "../../src/present/render-detail.js";
import type { DeliveryRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { runCli } from "../support/run-cli.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

// A delivery is readable whatever its body's depth: ingest parses bodies with JSON.parse,
// which has no depth limit, while JSON.stringify recurses and overflows the stack some
// thousands of levels down. `deliveries show --json` and GET /api/deliveries/:id must print
// every body ingest accepted, and print a normal one exactly as before.

const DEPTH = 8000;

/** The fields of a delivery document, in the order the API and the CLI have always printed them. */
const DELIVERY_FIELDS = ["delivery", "event", "action", "repository", "received_at", "ack_ms", "status", "signature", "installation", "headers", "decision", "ignored", "tasks", "body_pruned_at", "payload"];

/** An issues.opened body, as compact JSON text, whose `deep` field nests DEPTH objects. */
function deepIssueBody(): string {
  const opened = JSON.stringify(exampleOf("issues", "opened"));
  return `${opened.slice(0, -1)},"deep":${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}}`;
}

/** How many `a` keys lead down from `value`, counted without recursion (any helper that recurses would overflow). */
function depthOf(value: unknown): number {
  let depth = 0;
  let node = value;
  while (typeof node === "object" && node !== null && "a" in node) {
    node = (node as { a: unknown }).a;
    depth++;
  }
  return depth;
}

describe("deliveries show / GET /api/deliveries/:id with a deeply nested body", () => {
  let server: TestServer;
  let env: Record<string, string>;
  const deepBody = deepIssueBody();

  /** The delivery as the admin API answers it: status, content type and the text itself. */
  async function fromApi(id: string) {
    const response = await fetch(`${server.adminUrl}/api/deliveries/${id}`);
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  }

  /** Waits until the delivery's tasks are done, so the API and the CLI read the same rows. */
  async function settled(id: string): Promise<void> {
    await waitFor(async () => (await server.store.getDelivery(id))?.tasks.every((t) => t.status !== "ready" && t.status !== "running") ?? false, 20_000);
  }

  beforeAll(async () => {
    server = await startTestServer();
    env = { DATABASE_URL: `sqlite:${server.dbFile}` };
    const deep = await server.deliver("issues", null, { delivery: "deep-json", raw: deepBody });
    expect(deep.status).toBe(202);
    const form = await server.deliver("issues", null, {
      delivery: "deep-form",
      raw: `payload=${encodeURIComponent(deepBody)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(202);
    // Pretty-printed, as a hand-made delivery may be: its line breaks must not reach --json.
    const pretty = await server.deliver("issues", null, { delivery: "pretty-json", raw: JSON.stringify(exampleOf("issues", "opened"), null, 2) });
    expect(pretty.status).toBe(202);
    expect((await server.deliver("issues", exampleOf("issues", "opened"), { delivery: "normal-json" })).status).toBe(202);
    for (const id of ["deep-json", "deep-form", "pretty-json", "normal-json"]) await settled(id);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("?payload=0 answers the same document without the payload (the dashboard's refreshes); a bad value is a 400", async () => {
    await settled("deep-json");
    const whole = JSON.parse((await fromApi("deep-json")).text.replace(/,"payload":.*}$/s, "}")) as Record<string, unknown>;
    const response = await fetch(`${server.adminUrl}/api/deliveries/deep-json?payload=0`);
    expect(response.status).toBe(200);
    const without = (await response.json()) as Record<string, unknown>;
    expect(without).not.toHaveProperty("payload");
    expect(without).toEqual(whole);
    const bad = await fetch(`${server.adminUrl}/api/deliveries/deep-json?payload=no`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('payload must be 1 or true to turn it on, 0 or false to leave it off, not "no"');
    const unknown = await fetch(`${server.adminUrl}/api/deliveries/deep-json?paylod=0`);
    expect(unknown.status).toBe(400);
  });

  it("the admin API answers 200 with the stored body as the payload, byte for byte", async () => {
    const { status, type, text } = await fromApi("deep-json");
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(text).toContain(`"payload":${deepBody}`);
    const d = JSON.parse(text);
    expect(Object.keys(d)).toEqual(DELIVERY_FIELDS);
    expect(d).toMatchObject({ delivery: "deep-json", event: "issues", action: "opened", repository: "Codertocat/Hello-World" });
    expect(d.payload.issue.number).toBe(exampleOf("issues", "opened").issue.number);
    expect(depthOf(d.payload.deep)).toBe(DEPTH);
  });

  it("a form-encoded body's payload= field is the payload, decoded", async () => {
    const { status, text } = await fromApi("deep-form");
    expect(status).toBe(200);
    expect(text).toContain(`"payload":${deepBody}`);
    expect(depthOf(JSON.parse(text).payload.deep)).toBe(DEPTH);
  });

  it("deliveries show --json prints it on one line, the same document as the API", async () => {
    const result = await runCli(["deliveries", "show", "deep-json", "--json"], { cwd: server.dir, env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(result.stdout.trim()).toBe((await fromApi("deep-json")).text);
    expect(depthOf(JSON.parse(result.stdout).payload.deep)).toBe(DEPTH);
  });

  it("deliveries show prints it for people", async () => {
    const result = await runCli(["deliveries", "show", "deep-json"], { cwd: server.dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("delivery deep-json");
    expect(result.stdout).toContain("event: issues.opened");
  });

  it("a normal delivery's document is unchanged: the same fields, and exactly JSON.stringify's text", async () => {
    const { status, text } = await fromApi("normal-json");
    expect(status).toBe(200);
    const d = JSON.parse(text);
    expect(Object.keys(d)).toEqual(DELIVERY_FIELDS);
    expect(d.payload).toEqual(exampleOf("issues", "opened"));
    expect(d.tasks.length).toBeGreaterThan(0);
    expect(text).toBe(JSON.stringify(d));
    const cli = await runCli(["deliveries", "show", "normal-json", "--json"], { cwd: server.dir, env });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(`${text}\n`);
  });

  it("a pretty-printed body prints on one line with the same payload", async () => {
    const cli = await runCli(["deliveries", "show", "pretty-json", "--json"], { cwd: server.dir, env });
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(cli.stdout).payload).toEqual(exampleOf("issues", "opened"));
    const api = await fromApi("pretty-json");
    expect(api.text).toBe(cli.stdout.trim());
  });
});

describe("stringifyDelivery", () => {
  function stored(body: string): DeliveryRecord {
    return { id: "d1", event: "issues", action: "opened", repository: "octo/hello", receivedAt: 0, ackMs: 3, status: "unrouted", signature: null, installation: null, headers: {}, body: Buffer.from(body), bodyPrunedAt: null, tasks: [] };
  }
  const printed = (body: string) => JSON.parse(stringifyDelivery(presentDelivery(stored(body))));

  it("prints a null payload for a body that is not a JSON object: pruned, not JSON, an array, a form without payload=", () => {
    for (const body of ["", "not json", "[1, 2]", "ref=main"]) {
      const d = printed(body);
      expect(Object.keys(d)).toEqual(DELIVERY_FIELDS);
      expect(d.payload).toBeNull();
    }
  });

  it("says when retention emptied the body, in the document and in the text", () => {
    const pruned = presentDelivery({ ...stored(""), bodyPrunedAt: Date.UTC(2026, 0, 2) });
    expect(JSON.parse(stringifyDelivery(pruned))).toMatchObject({ body_pruned_at: "2026-01-02T00:00:00.000Z", payload: null });
    expect(renderDeliveryDetail(pruned)).toContain("payload: emptied by retention at 2026-01-02T00:00:00.000Z (store.retention.bodies)");
    expect(printed("").body_pruned_at).toBeNull();
    expect(renderDeliveryDetail(presentDelivery(stored('{"a":1}')))).not.toContain("payload:");
  });

  it("prints a compact body's document exactly as JSON.stringify printed it", () => {
    const detail = presentDelivery(stored(String.raw`{"action":"opened","n":[1,{"b":null}],"s":"a\nb \"q\" é"}`));
    // RawJson's toJSON gives a plain JSON.stringify the value itself: what the API answered before.
    expect(stringifyDelivery(detail)).toBe(JSON.stringify(detail));
    expect(printed('{"a":1}').payload).toEqual({ a: 1 });
  });
});
