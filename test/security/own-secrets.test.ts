import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { ownSecrets } from "../../src/security/own-secrets.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const ADMIN_TOKEN = "admin-token-of-this-test-0123456789";
const HOOK_SECRET = "hook-signing-secret-of-this-test-42";

describe("switchyard's own secrets in what an agent leaves", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-own-secrets-"));
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are masked in an exec agent's output and error: it runs as switchyard's user and can read them elsewhere", async () => {
    // What an agent that read /proc/<switchyard's pid>/environ would print, then fail with.
    const script = path.join(dir, "leak.mjs");
    writeFileSync(script, `console.log("WEBHOOK_SECRET=${TEST_SECRET} ADMIN_TOKEN=${ADMIN_TOKEN} HOOK=${HOOK_SECRET}"); console.error("${ADMIN_TOKEN}"); process.exit(3);`);
    server = await startTestServer(
      {
        admin: { token: ADMIN_TOKEN },
        agents: { IssueAgent: { exec: [process.execPath, script] }, Hooker: { http: { url: "http://127.0.0.1:2/hook", secret: HOOK_SECRET } } },
        routing: { rules: [{ id: "hook", when: { event: "star" }, agent: "Hooker", priority: "low", action: "Hook" }] },
      },
      undefined,
      { env: { PATH: process.env.PATH } },
    );
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    const id = (res.body as { routed: { task: string }[] }).routed[0]!.task;
    const task = await waitFor(async () => {
      const t = await server!.store.getTask(id);
      return t?.status === "dead" ? t : null;
    }, 20_000);
    const output = task.attemptLog[0]!.output!;
    expect(output).toContain("WEBHOOK_SECRET=*** ADMIN_TOKEN=*** HOOK=***");
    for (const secret of [TEST_SECRET, ADMIN_TOKEN, HOOK_SECRET]) expect(output).not.toContain(secret);
  });
});

describe("ownSecrets", () => {
  it("lists the webhook secrets, tokens, the App key line by line, http agents' secrets (from env too) and the database password", () => {
    const pem = ["-----BEGIN RSA PRIVATE KEY-----", "A".repeat(64), "B".repeat(64), "-----END RSA PRIVATE KEY-----"].join("\n");
    const { config } = parseConfig(
      {
        secrets: ["configured-webhook-secret"],
        admin: { token: ADMIN_TOKEN },
        store: { url: "postgres://app:db%2Fpassword@127.0.0.1:5432/switchyard" },
        agents: { ReviewAgent: { http: { url: "https://agent.example/a", secret: "whsec_c2VjcmV0LWtleS1ieXRlcw==" } }, IssueAgent: { http: { url: "https://agent.example/b", secret: { env: "B_SECRET" } } } },
        github: { token: "ghp_0123456789abcdefghijklmnopqrstuvwxyz", appId: 1, privateKey: pem },
      },
      null,
      new Map(),
      { needsGitHub: false },
    );
    const secrets = ownSecrets(config, { B_SECRET: " from-the-environment " }, ["generated-one"]);
    expect(secrets).toEqual(expect.arrayContaining(["generated-one", "configured-webhook-secret", ADMIN_TOKEN, "ghp_0123456789abcdefghijklmnopqrstuvwxyz", pem, "A".repeat(64), "B".repeat(64), "whsec_c2VjcmV0LWtleS1ieXRlcw==", "c2VjcmV0LWtleS1ieXRlcw==", "from-the-environment", "db/password"]));
    expect(secrets).not.toContain("-----BEGIN RSA PRIVATE KEY-----");
  });
});
