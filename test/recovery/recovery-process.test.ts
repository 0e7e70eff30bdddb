import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type FakeHookDelivery, type GithubFake } from "../support/github-fake/index.js";
import { createWorkdir } from "../support/run-cli.js";
import { startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

const SECRET = "recovery-process-secret";
const HOOK = { repository: "octo/hello", id: 77 } as const;

/**
 * The stable address GitHub's hook points at (a load balancer, in production): forwards to
 * whichever `serve` runs, and answers 502 while none does.
 */
async function startFrontDoor(): Promise<{ url: string; upstream: { url: string | null }; server: Server }> {
  const upstream: { url: string | null } = { url: null };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = upstream.url;
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "host" && k !== "content-length")) as Record<string, string>;
      const forward = target === null ? Promise.reject(new Error("no upstream")) : fetch(target, { method: "POST", headers, body: Buffer.concat(chunks) });
      forward.then(
        async (response) => res.writeHead(response.status, { "content-type": "application/json" }).end(await response.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/github`, upstream, server };
}

let fake: GithubFake | undefined;
let serve: ServeProcess | undefined;
let front: Awaited<ReturnType<typeof startFrontDoor>> | undefined;
let work: ReturnType<typeof createWorkdir> | undefined;

afterEach(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
  await fake?.close();
  await new Promise((resolve) => front?.server.close(resolve));
  work?.remove();
});

describe("recovery after downtime, as processes", () => {
  it("finds the deliveries GitHub failed while serve was down and recovers them all after restart, without a command", async () => {
    fake = await startGithubFake();
    front = await startFrontDoor();
    work = createWorkdir();
    work.write("switchyard.config.yaml", {
      github: { apiUrl: fake.url, writeIntervalMs: 0 },
      recovery: { hooks: [HOOK], interval: "2s" },
    });
    const env = { WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: "ghp_recovery", DATABASE_URL: "sqlite:data/switchyard.db" };
    const hook = fake.hook(HOOK);
    hook.setTarget(front.url, SECRET);
    const payload = (n: number) => ({ ...exampleOf("star", "created"), marker: `downtime-${n}` });

    serve = await startServeProcess(work.dir, env);
    front.upstream.url = serve.webhookUrl;
    const before = await hook.send("star", payload(0));
    expect(before.statusCode).toBe(202);

    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    front.upstream.url = null;
    const missed: FakeHookDelivery[] = [];
    for (let n = 1; n <= 3; n++) missed.push(await hook.send("star", payload(n)));
    expect(missed.map((d) => d.statusCode)).toEqual([502, 502, 502]);

    serve = await startServeProcess(work.dir, env);
    front.upstream.url = serve.webhookUrl;
    const adminUrl = serve.adminUrl;
    const stored = async (guid: string) => (await fetch(`${adminUrl}/api/deliveries/${guid}`)).status === 200;
    await waitFor(async () => (await Promise.all(missed.map((d) => stored(d.guid)))).every(Boolean), 30_000, 200);

    // Each asked for once; after two more sweeps, still once.
    expect([...hook.attempts].sort()).toEqual(missed.map((d) => d.id).sort());
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(hook.attempts).toHaveLength(3);
    expect(hook.deliveries.filter((d) => d.redelivery).map((d) => d.statusCode)).toEqual([202, 202, 202]);
    const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_redeliveries_total\{outcome="recovered"\} 3$/m);
  }, 60_000);
});
