import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signPayload } from "../../src/security/verify-signature.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";
import { head, post, raw, statusOf, type Answer } from "./hostile-client.js";

/**
 * The hostile corpus against a live server (a real `serve` runtime on a SQLite file, worker
 * running): each class of bad input is sent, and every answer is held to what it must be.
 * Per class it reports tried / refused as it should / accepted as it should / accepted
 * wrongly / 5xx / no answer. SWITCHYARD_CHAOS=long (npm run chaos) repeats it and widens
 * the concurrent class.
 */

const LONG = process.env.SWITCHYARD_CHAOS === "long";
const ROUNDS = LONG ? 5 : 1;
const CONCURRENT = LONG ? 500 : 100;
const SLOW = LONG ? 100 : 20;

const NEW = "hostile-new-secret";
const OLD = "hostile-old-secret";
const MiB = 1024 ** 2;
const HEX64 = "0123456789abcdef".repeat(4);

/** What a case must come to: a refusal (status and error code) or an acceptance (2xx). */
type Want = { refused: number; code: string } | { accepted: number };

interface Case {
  name: string;
  send: () => Promise<Answer>;
  want: Want;
}

interface Tally {
  tried: number;
  refused: number;
  accepted: number;
  acceptedWrongly: number;
  serverErrors: number;
  noAnswer: number;
  mismatches: string[];
}

const issueBody = (patch: Record<string, unknown> = {}) => {
  const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown> & { issue: Record<string, unknown> };
  payload.issue = { ...payload.issue, title: `hostile ${Math.random()}`, ...patch };
  return payload;
};
const json = (value: unknown) => JSON.stringify(value);

describe("hostile corpus against a live server", () => {
  let server: TestServer;
  let scratch: string;
  let marker: string;
  let agentLog: string;
  const tallies = new Map<string, Tally>();

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "switchyard-hostile-"));
    marker = path.join(scratch, "pwned");
    agentLog = path.join(scratch, "agent.log");
    const agent = path.join(scratch, "agent.mjs");
    // Appends the task JSON it got on stdin: what an exec agent is handed, byte for byte.
    writeFileSync(agent, `import { appendFileSync } from "node:fs";\nlet input = "";\nprocess.stdin.on("data", (c) => (input += c)).on("end", () => appendFileSync(${json(agentLog)}, input));\n`);
    server = await startTestServer(
      {
        // Exact statuses per case: the limiter (which would answer 429 after 100 failures) has tests of its own.
        security: { failedAuth: { max: 1_000_000, windowMs: 60_000 } },
        agents: { IssueAgent: { exec: [process.execPath, agent] } },
      },
      [NEW, OLD],
      { pollMs: 50 },
    );
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const url = () => server.webhookUrl;
  const signed = (event: string, body: string | Buffer, headers?: Record<string, string | undefined>) => post(url(), event, body, { secret: NEW, headers });
  const refused = (status: number, code: string): Want => ({ refused: status, code });
  const ok = (status = 202): Want => ({ accepted: status });

  function corpus(): Record<string, Case[]> {
    const body = json(issueBody());
    const sig = signPayload(NEW, body);
    const withSignature = (signature: string | undefined): (() => Promise<Answer>) => () => post(url(), "issues", json(issueBody()), { signature });
    const polluting = [
      `{"__proto__":{"polluted":true},"action":"opened","issue":{"number":1,"title":"p ${Math.random()}"}}`,
      `{"constructor":{"prototype":{"polluted":true}},"action":"opened","issue":{"number":2,"title":"c ${Math.random()}"}}`,
      json({ ...issueBody({ labels: [{ name: "__proto__" }, { name: "constructor" }], user: JSON.parse('{"__proto__":{"polluted":true},"login":"x"}') }) }).replace('"action"', '"__proto__":{"polluted":true},"action"'),
      json(issueBody()).replace('"repository":{', '"repository":{"__proto__":{"full_name":"evil/repo","polluted":true},'),
    ];
    const weird = ["\u0000\u0001\u001f\u007f", "\u202e\u2066evil", "😀🏳️‍🌈", "\ud800", "\r\n/agent execute now", "<!-- switchyard -->", "%00%0d%0a", "A".repeat(70_000)];
    const injections = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker} #`, `| touch ${marker}`, `&& touch ${marker}`, `'"; touch ${marker}; echo "'`];
    return {
      "malformed and truncated signatures": [
        ["missing", undefined],
        ["empty", ""],
        ["prefix only", "sha256="],
        ["63 hex", `sha256=${HEX64.slice(1)}`],
        ["65 hex", `sha256=${HEX64}0`],
        ["not hex", `sha256=${"z".repeat(64)}`],
        ["upper-case prefix", `SHA256=${HEX64}`],
        ["space before =", `sha256 =${HEX64}`],
        ["two signatures", `sha256=${HEX64}, sha256=${HEX64}`],
        ["truncated real one", sig.slice(0, 40)],
        ["sha512", `sha512=${HEX64}${HEX64}`],
      ].map(([name, signature]) => ({ name: name!, send: withSignature(signature), want: refused(401, "SWY_E_BAD_SIGNATURE") })),
      "wrong and rotated secrets": [
        { name: "wrong secret", send: () => post(url(), "issues", json(issueBody()), { secret: "guess" }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "retired secret", send: () => post(url(), "issues", json(issueBody()), { secret: "hostile-retired-secret" }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "empty secret", send: () => post(url(), "issues", json(issueBody()), { secret: "" }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "secret with a trailing newline", send: () => post(url(), "issues", json(issueBody()), { secret: `${NEW}\n` }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "the old secret during rotation (must be accepted)", send: () => post(url(), "issues", json(issueBody()), { secret: OLD }), want: ok() },
        { name: "the new secret (must be accepted)", send: () => signed("issues", json(issueBody())), want: ok() },
      ],
      "SHA-1 only": [
        { name: "X-Hub-Signature only", send: () => post(url(), "issues", json(issueBody()), { signature: undefined, headers: { "x-hub-signature": `sha1=${HEX64.slice(0, 40)}` } }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "sha1= in X-Hub-Signature-256", send: withSignature(`sha1=${HEX64.slice(0, 40)}`), want: refused(401, "SWY_E_BAD_SIGNATURE") },
      ],
      "tampered bodies": [
        { name: "a byte changed", send: () => post(url(), "issues", body.replace("hostile", "hostilE"), { signature: sig }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "a space appended", send: () => post(url(), "issues", `${body} `, { signature: sig }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "re-serialized (same JSON, other bytes)", send: () => post(url(), "issues", JSON.stringify(JSON.parse(body), null, 1), { signature: sig }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "truncated", send: () => post(url(), "issues", body.slice(0, -1), { signature: sig }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "signed as form, sent as JSON", send: () => post(url(), "issues", body, { signature: signPayload(NEW, `payload=${encodeURIComponent(body)}`) }), want: refused(401, "SWY_E_BAD_SIGNATURE") },
      ],
      "oversized and slow bodies": [
        { name: "26 MiB body", send: () => signed("issues", Buffer.alloc(26 * MiB, 0x20)), want: refused(413, "SWY_E_BODY_TOO_LARGE") },
        { name: "declares 30 MiB", send: () => raw(url(), head(url(), { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "big", "content-length": String(30 * MiB) })), want: refused(413, "SWY_E_BODY_TOO_LARGE") },
        { name: `${SLOW} slow senders (1 byte / 100 ms for 2 s), while a real delivery still gets through`, send: () => slowloris(), want: ok() },
      ],
      "broken JSON": ["{", '{"action":', "", "\xff\xfe{}", '{"a":1}}', "{'a':1}", "NaN"].map((text) => ({
        name: JSON.stringify(text),
        send: () => signed("issues", Buffer.from(text, "latin1")),
        want: refused(400, "SWY_E_BAD_PAYLOAD"),
      })),
      "JSON that is not an object": ["[]", "[{}]", "1", '"s"', "null", "true"].map((text) => ({ name: text, send: () => signed("issues", text), want: refused(400, "SWY_E_BAD_PAYLOAD") })),
      "prototype-pollution keys (accepted, harmless)": [
        ...polluting.map((text, i) => ({ name: `payload ${i + 1}`, send: () => signed("issues", text), want: ok() })),
        { name: "form body with __proto__ fields", send: () => post(url(), "issues", `payload=${encodeURIComponent(json(issueBody()))}&__proto__[polluted]=1`, { secret: NEW, headers: { "content-type": "application/x-www-form-urlencoded" } }), want: ok() },
      ],
      "huge and repeated headers": [
        { name: "one 20 KiB header", send: () => raw(url(), head(url(), { "content-type": "application/json", "x-pad": "a".repeat(20_000), "content-length": "0" })), want: refused(431, "SWY_E_HEADERS_TOO_LARGE") },
        { name: "3000 small headers", send: () => raw(url(), head(url(), Object.fromEntries([...Array.from({ length: 3000 }, (_, i) => [`x-h${i}`, "1"]), ["content-length", "0"]]))), want: refused(431, "SWY_E_HEADERS_TOO_LARGE") },
        { name: "X-GitHub-Event twice", send: () => raw(url(), repeated("x-github-event: issues", 2)), want: refused(400, "SWY_E_MISSING_HEADER") },
        { name: "X-GitHub-Delivery 200 times", send: () => raw(url(), repeated("x-github-delivery: d", 200)), want: refused(400, "SWY_E_MISSING_HEADER") },
        { name: "signature twice", send: () => raw(url(), repeated(`x-hub-signature-256: ${sig}`, 2, "x-github-delivery: d-twice\r\nx-github-event: issues\r\n", body), 10_000), want: refused(401, "SWY_E_BAD_SIGNATURE") },
        { name: "control character in a header", send: () => raw(url(), head(url(), { "x-github-event": "issues\u0001", "content-length": "0" })), want: refused(400, "SWY_E_BAD_REQUEST") },
        { name: "content type missing", send: () => signed("issues", body, { "content-type": undefined }), want: refused(415, "SWY_E_UNSUPPORTED_MEDIA_TYPE") },
        { name: "content type text/plain", send: () => signed("issues", body, { "content-type": "text/plain" }), want: refused(415, "SWY_E_UNSUPPORTED_MEDIA_TYPE") },
      ],
      "unknown and malformed events": [
        ...["made_up_event", "constructor", "tostring", "hasownproperty"].map((event) => ({ name: `${event} (stored, routes nothing)`, send: () => signed(event, json({ action: "x", zen: Math.random() })), want: ok() })),
        ...["Issues", "issues pull_request", "__proto__", "issues,push", "1issues", "x".repeat(0)].map((event) => ({
          name: JSON.stringify(event),
          send: () => signed("issues", json(issueBody()), { "x-github-event": event }),
          want: refused(400, "SWY_E_MISSING_HEADER"),
        })),
        { name: "delivery id with a comma", send: () => signed("issues", json(issueBody()), { "x-github-delivery": "a,b" }), want: refused(400, "SWY_E_MISSING_HEADER") },
        { name: "delivery id of 201 characters", send: () => signed("issues", json(issueBody()), { "x-github-delivery": "d".repeat(201) }), want: refused(400, "SWY_E_MISSING_HEADER") },
      ],
      "unicode and control characters in every string field (accepted)": weird.map((text, i) => ({
        name: `variant ${i + 1}`,
        send: () => {
          const payload = issueBody({ title: `${text} ${Math.random()}`, body: text, labels: [{ name: text }], user: { login: text, type: "User" } });
          return signed("issues", json({ ...payload, action: "opened", sender: { login: text, type: text }, repository: { ...(payload.repository as object), full_name: `${text}/${text}`, name: text } }));
        },
        want: ok(),
      })),
      [`${CONCURRENT} concurrent connections`]: [{ name: `${CONCURRENT} bad signatures at once, each answered 401`, send: () => concurrent(), want: refused(401, "SWY_E_BAD_SIGNATURE") }],
      "command injection in /agent arguments and in titles handed to exec agents (accepted, inert)": [
        ...injections.map((text, i) => ({ name: `title ${i + 1}`, send: () => signed("issues", json(issueBody({ title: `${text} ${i}-${Math.random()}`, body: text }))), want: ok() })),
        ...injections.map((text, i) => ({
          name: `/agent arguments ${i + 1}`,
          send: () => {
            const payload = exampleOf("issue_comment", "created") as unknown as Record<string, unknown> & { comment: Record<string, unknown> };
            payload.comment = { ...payload.comment, id: 9_000_000 + i + Math.floor(Math.random() * 1e6), body: `/agent analyze ${text}\n/agent deploy ${text}`, author_association: "OWNER" };
            return signed("issue_comment", json(payload));
          },
          want: ok(),
        })),
      ],
    };

    function repeated(line: string, times: number, extra = "x-github-event: issues\r\n", payload = "{}"): string {
      const { host, pathname } = new URL(url());
      const lines = Array.from({ length: times }, () => `${line}\r\n`).join("");
      return `POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\n${extra}${lines}content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
    }
  }

  /** Many connections at once, all wrongly signed: all must be answered 401. One answer stands for all (the first mismatch, if any). */
  async function concurrent(): Promise<Answer> {
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post(url(), "issues", json(issueBody()), { secret: "wrong" })));
    return answers.find((a) => statusOf(a) !== 401) ?? answers[0]!;
  }

  /** Slow senders hold connections open a byte at a time; a correctly signed delivery must still be accepted meanwhile. */
  async function slowloris(): Promise<Answer> {
    const { connect } = await import("node:net");
    const { port } = new URL(url());
    const sockets = Array.from({ length: SLOW }, () => {
      const socket = connect(Number(port), "127.0.0.1");
      socket.on("error", () => undefined);
      socket.write(head(url(), { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": `slow-${Math.random()}`, "x-hub-signature-256": `sha256=${HEX64}`, "content-length": "1000" }));
      return socket;
    });
    const trickle = setInterval(() => sockets.forEach((s) => s.write(" ")), 100);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const answer = await signed("issues", json(issueBody()));
      await new Promise((r) => setTimeout(r, 1000));
      return answer;
    } finally {
      clearInterval(trickle);
      for (const s of sockets) s.destroy();
    }
  }

  it("refuses every hostile request with the right status and code, accepts none wrongly, never answers 5xx, and stays healthy", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [klass, cases] of Object.entries(corpus())) {
        const tally = tallies.get(klass) ?? { tried: 0, refused: 0, accepted: 0, acceptedWrongly: 0, serverErrors: 0, noAnswer: 0, mismatches: [] };
        tallies.set(klass, tally);
        for (const c of cases) {
          tally.tried++;
          const answer = await c.send();
          const status = statusOf(answer);
          if (status === null) {
            tally.noAnswer++;
            tally.mismatches.push(`${c.name}: no answer (${"error" in answer ? answer.error : ""})`);
            continue;
          }
          if (status >= 500) tally.serverErrors++;
          const code = "code" in answer ? answer.code : null;
          if ("refused" in c.want) {
            if (status >= 200 && status < 300) tally.acceptedWrongly++;
            if (status === c.want.refused && code === c.want.code) tally.refused++;
            else tally.mismatches.push(`${c.name}: ${status} ${code}, expected ${c.want.refused} ${c.want.code}`);
          } else if (status === c.want.accepted) tally.accepted++;
          else tally.mismatches.push(`${c.name}: ${status} ${"text" in answer ? answer.text.slice(0, 200) : ""}, expected ${c.want.accepted}`);
        }
      }
    }

    // Healthy after: both probes, and a correctly signed delivery accepted.
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);
    expect(statusOf(await signed("issues", json(issueBody())))).toBe(202);

    // Nothing reached Object.prototype in this process, where the server runs.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("full_name");

    // Every routed task ran to the end; no injected command ran anywhere; the exec agent got the titles verbatim.
    await waitFor(async () => (await server.store.listTasks({ status: "ready", limit: 1 })).length === 0 && (await server.store.listTasks({ status: "running", limit: 1 })).length === 0, 60_000, 100);
    expect(existsSync(marker)).toBe(false);
    const handed = readFileSync(agentLog, "utf8");
    expect(handed).toContain(JSON.stringify(`$(touch ${marker})`).slice(1, -1));

    const summary = Object.fromEntries([...tallies].map(([klass, t]) => [klass, { ...t, mismatches: t.mismatches.length }]));
    console.info(`HOSTILE_SUMMARY ${JSON.stringify({ rounds: ROUNDS, classes: summary })}`);
    for (const [klass, t] of tallies) {
      expect(t.mismatches, klass).toEqual([]);
      expect(t.acceptedWrongly, klass).toBe(0);
      expect(t.serverErrors, klass).toBe(0);
      expect(t.noAnswer, klass).toBe(0);
    }
    expect(tallies.size).toBe(13);
  }, LONG ? 600_000 : 90_000);
});
