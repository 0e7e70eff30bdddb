import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { send, sleep, type Answer, type Signed } from "../chaos/chaos-support.js";
import { exampleOf } from "../support/examples.js";
import { createTestDatabase, describePg, dropTestDatabases, startPrivateCluster, type Cluster } from "../support/postgres.js";
import { runCli, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Scale-out on PostgreSQL, with real processes: several `switchyard serve` on one
 * database, one of them killed mid-burst; the same delivery raced to two instances; the
 * database restarted under load.
 */

const SECRET = "scale-out-secret";

function sign(body: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(body, "utf8").digest("hex")}`;
}

/** A signed issues.opened delivery with a unique id and a body of its own. */
function issueOpened(n: number, tag: string): Signed {
  const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number; title: string } };
  payload.issue.number = n;
  payload.issue.title = `scale-out ${tag} ${n} ${randomUUID()}`;
  const body = JSON.stringify(payload);
  return { id: randomUUID(), body, signature: sign(body) };
}

const acknowledged = (a: Answer): boolean => "status" in a && (a.status === 202 || a.status === 200);
/** 503 SWY_E_STORE_UNAVAILABLE: the store did not answer in time; the delivery was not stored, and GitHub sends it again. */
const storeBusy = (a: Answer): boolean => "status" in a && a.status === 503 && (a.body?.error as { code?: string } | undefined)?.code === "SWY_E_STORE_UNAVAILABLE";
const describeAnswer = (a: Answer): string => ("status" in a ? `${a.status} ${JSON.stringify(a.body)}` : `no answer (${a.error})`);

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One run of the logging agent, from its `start` and `end` lines. */
interface Run {
  task: string;
  pid: number;
  /** The serve instance that spawned it ("a" or "b"; its argv says, as its parent may already be gone). */
  instance: string;
  start: bigint;
  end: bigint | null;
}

function readRuns(logFile: string): Run[] {
  if (!existsSync(logFile)) return [];
  const runs = new Map<number, Run>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (line === "") continue;
    const [kind, task, pid, instance, at] = line.split(" ");
    if (kind === "start") runs.set(Number(pid), { task: task!, pid: Number(pid), instance: instance!, start: BigInt(at!), end: null });
    else if (kind === "end") runs.get(Number(pid))!.end = BigInt(at!);
    else throw new Error(`unexpected agent log line: ${line}`);
  }
  return [...runs.values()];
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];

async function serve(dir: string, env: Record<string, string>): Promise<ServeProcess> {
  const server = await startServeProcess(dir, { WEBHOOK_SECRET: SECRET, LOG_LEVEL: "warn", ...env });
  cleanups.push(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    await server.exited;
  });
  return server;
}

function workdir(config: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-scale-"));
  // JSON is YAML.
  writeFileSync(path.join(dir, "switchyard.config.yaml"), JSON.stringify(config));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describePg("scale-out: several serve processes on one PostgreSQL database", () => {
  // Each test's processes go when it ends (they hold connections), then their files.
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(dropTestDatabases);

  it(
    "two instances behind a round-robin client, one killed -9 mid-burst: every acknowledged delivery stored once, every task succeeds, no task runs twice at once",
    async () => {
      const N = 80;
      const url = await createTestDatabase();
      const scripts = mkdtempSync(path.join(tmpdir(), "switchyard-scale-agent-"));
      cleanups.push(() => rmSync(scripts, { recursive: true, force: true }));
      const logFile = path.join(scripts, "runs.log");
      const agent = path.join(scripts, "logging-agent.mjs");
      // Appends (O_APPEND, one short write per line) its start and end on the system-wide monotonic clock.
      writeFileSync(
        agent,
        `import { appendFileSync } from "node:fs";
const log = ${JSON.stringify(logFile)};
const instance = process.argv[2];
const line = (kind) => appendFileSync(log, kind + " " + process.env.SWITCHYARD_TASK + " " + process.pid + " " + instance + " " + process.hrtime.bigint() + "\\n");
line("start");
setTimeout(() => line("end"), 100 + Math.floor(Math.random() * 200));
`,
      );
      // One working directory each: the same config but for the name the agent logs.
      const [dirA, dirB] = ["a", "b"].map((instance) =>
        workdir({
          worker: { concurrency: 4, leaseMs: 2000 },
          retry: { initialDelayMs: 100, maxDelayMs: 500 },
          agents: { IssueAgent: { exec: [process.execPath, agent, instance] } },
        }),
      );
      const env = { DATABASE_URL: url };
      // Started together: both migrate the empty database at once.
      const [a, b] = await Promise.all([serve(dirA!, env), serve(dirB!, env)]);
      cleanups.push(async () => {
        // Runs the killed instance left behind end by themselves (~300 ms); never leave one.
        await waitFor(() => readRuns(logFile).every((r) => !alive(r.pid)), 5000, 50).catch(() => {
          for (const r of readRuns(logFile)) if (alive(r.pid)) process.kill(r.pid, "SIGKILL");
        });
      });

      const deliveries = Array.from({ length: N }, (_, i) => issueOpened(i + 1, "burst"));
      const first = new Map<string, { target: "a" | "b"; answer: Answer }>();
      const resent = new Map<string, Answer>();
      let next = 0;
      let answered = 0;
      let killedAt: bigint | null = null;
      let answeredAtKill = -1;
      let openOnAAtKill: string[] = [];
      let killerFailed = false;

      const lane = async () => {
        while (next < N) {
          // Three quarters in, hold until the kill has happened, so it lands mid-burst.
          if (next >= (3 * N) / 4 && killedAt === null && !killerFailed) {
            await sleep(5);
            continue;
          }
          const i = next++;
          const d = deliveries[i]!;
          const target = i % 2 === 0 ? "a" : "b";
          const answer = await send((target === "a" ? a : b).webhookUrl, d);
          first.set(d.id, { target, answer });
          // No answer, or not a 2xx: the same delivery again, to the survivor, as GitHub
          // redelivers it; a 503 (a store too slow on a loaded machine) is asked again a few times.
          if (!("status" in answer) || answer.status < 200 || answer.status > 299) {
            let again = await send(b.webhookUrl, d);
            for (let tries = 1; tries < 5 && storeBusy(again); tries++) {
              await sleep(200);
              again = await send(b.webhookUrl, d);
            }
            resent.set(d.id, again);
          }
          answered++;
          await sleep(15);
        }
      };
      const killer = async () => {
        // Once a third is answered and an agent run on A is under way (started, not ended).
        await waitFor(
          () => {
            if (answered < N / 3) return false;
            const open = readRuns(logFile).filter((r) => r.instance === "a" && r.end === null);
            return open.length > 0 ? open : false;
          },
          20_000,
          5,
        ).catch((error: unknown) => {
          killerFailed = true;
          throw error;
        });
        openOnAAtKill = readRuns(logFile)
          .filter((r) => r.instance === "a" && r.end === null)
          .map((r) => r.task);
        answeredAtKill = answered;
        a.child.kill("SIGKILL");
        killedAt = process.hrtime.bigint();
        await a.exited;
      };
      const burstStarted = Date.now();
      await Promise.all([lane(), lane(), lane(), lane(), killer()]);
      const burstMs = Date.now() - burstStarted;

      // The kill landed mid-burst, with runs under way on A.
      expect(answeredAtKill).toBeGreaterThanOrEqual(N / 3);
      expect(answeredAtKill).toBeLessThan(N);
      expect(openOnAAtKill.length).toBeGreaterThan(0);

      // First tries: a 202, or no answer at all (A gone), or a 503 when the store did not
      // answer in time on a loaded machine (GitHub redelivers it; never a 202 unstored). No other status.
      const firstAnswers = [...first.values()];
      const unexpectedFirst = firstAnswers.filter(({ answer }) => "status" in answer && answer.status !== 202 && !storeBusy(answer)).map(({ target, answer }) => `${target}: ${describeAnswer(answer)}`);
      expect(unexpectedFirst).toEqual([]);
      expect(firstAnswers.filter(({ target }) => target === "b").every(({ answer }) => "status" in answer)).toBe(true);
      expect(resent.size).toBeGreaterThan(0);
      // Re-sent to the survivor: 202 when A never committed it, 200 duplicate when it did.
      const unexpectedResent = [...resent.entries()]
        .filter(([id, answer]) => !("status" in answer) || !(answer.status === 202 || (answer.status === 200 && answer.body?.duplicate === true && answer.body?.delivery === id)))
        .map(([id, answer]) => `${id}: ${describeAnswer(answer)}`);
      expect(unexpectedResent).toEqual([]);
      const acked = deliveries.filter((d) => acknowledged(resent.get(d.id) ?? first.get(d.id)!.answer));
      expect(acked).toHaveLength(N);

      // Every task succeeds, the survivor running those whose lease died with A.
      const waitStarted = Date.now();
      await waitFor(
        async () => {
          const [row] = await query<{ done: number; total: number }>(url, "SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done, count(*)::int AS total FROM tasks");
          return row!.done === N && row!.total === N;
        },
        40_000,
        200,
      );
      const settleMs = Date.now() - waitStarted;

      // Stored exactly once: one row per acknowledged id, nothing else, with the bytes sent.
      const stored = await query<{ id: string; body: Buffer }>(url, "SELECT id, body FROM deliveries");
      expect(stored).toHaveLength(N);
      const bodyOf = new Map(stored.map((r) => [r.id, r.body.toString("utf8")]));
      for (const d of acked) expect(bodyOf.get(d.id)).toBe(d.body);
      // One task per delivery (a re-send routed nothing twice), all succeeded.
      const tasks = await query<{ id: string; delivery: string; agent: string; status: string; attempts: number }>(
        url,
        "SELECT id::text AS id, delivery, agent, status, attempts FROM tasks",
      );
      expect(tasks).toHaveLength(N);
      expect(new Set(tasks.map((t) => t.delivery)).size).toBe(N);
      expect(tasks.every((t) => t.agent === "IssueAgent" && t.status === "succeeded")).toBe(true);
      // Exactly one successful attempt per task; the others cut off by the kill.
      const attempts = await query<{ task: string; outcome: string | null }>(url, "SELECT task::text AS task, outcome FROM attempts");
      for (const t of tasks) {
        const mine = attempts.filter((x) => x.task === t.id);
        expect(mine).toHaveLength(t.attempts);
        expect(mine.filter((x) => x.outcome === "succeeded")).toHaveLength(1);
        expect(mine.every((x) => x.outcome === "succeeded" || x.outcome === "lease-expired"), `task ${t.id}: ${JSON.stringify(mine)}`).toBe(true);
      }
      const cutOff = attempts.filter((x) => x.outcome === "lease-expired").map((x) => x.task);
      // The runs open at the kill were reclaimed from A's expired leases, not lost.
      for (const task of openOnAAtKill) expect(cutOff).toContain(task);

      // The public reading command agrees.
      const listed = await runCli(["deliveries", "--json", "--limit", "1000"], { cwd: dirA!, env: { DATABASE_URL: url } });
      expect(listed.code, listed.stderr).toBe(0);
      const rows = JSON.parse(listed.stdout) as { delivery: string; status: string; tasks: { status: string }[] }[];
      expect(rows.map((r) => r.delivery).sort()).toEqual(deliveries.map((d) => d.id).sort());
      expect(rows.every((r) => r.status === "succeeded" && r.tasks.length === 1 && r.tasks[0]!.status === "succeeded")).toBe(true);

      // No task ran on two workers at once. A run of A's with no end line ended, at the
      // latest, when A was killed; any other run must have logged its end.
      await waitFor(() => readRuns(logFile).every((r) => !alive(r.pid)), 5000, 50);
      const runs = readRuns(logFile);
      const byTask = new Map<string, Run[]>();
      for (const r of runs) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
      const overlaps: string[] = [];
      const unended: string[] = [];
      for (const t of tasks) {
        const mine = (byTask.get(t.id) ?? []).sort((x, y) => (x.start < y.start ? -1 : 1));
        expect(mine.length, `runs of task ${t.id}`).toBeGreaterThanOrEqual(1);
        // A claim that A never got to start leaves an attempt without a run, never the reverse.
        expect(mine.length).toBeLessThanOrEqual(t.attempts);
        expect(mine.at(-1)!.end, `the last run of task ${t.id} finished`).not.toBeNull();
        for (let i = 0; i < mine.length; i++) {
          const run = mine[i]!;
          if (run.end === null && run.instance !== "a") unended.push(`${t.id} pid ${run.pid}`);
          const end = run.end ?? killedAt!;
          const following = mine[i + 1];
          if (following && following.start <= end) overlaps.push(`task ${t.id}: run ${run.pid} (${run.instance}) until ${end}, run ${following.pid} (${following.instance}) from ${following.start}`);
        }
      }
      expect(unended).toEqual([]);
      expect(overlaps).toEqual([]);
      expect(runs.every((r) => tasks.some((t) => t.id === r.task))).toBe(true);
      // Both instances ran tasks; only they did.
      expect(new Set(runs.map((r) => r.instance))).toEqual(new Set(["a", "b"]));

      // The survivor is healthy, and logged nothing at error level.
      expect((await fetch(`${b.adminUrl}/readyz`)).status).toBe(200);
      const errors = b
        .stderr()
        .split("\n")
        .filter((l) => /"level":(50|60)/.test(l));
      expect(errors).toEqual([]);
      console.info(
        `scale-out burst: ${N} deliveries in ${burstMs} ms, A killed after ${answeredAtKill} answers with ${openOnAAtKill.length} run(s) open; ` +
          `${resent.size} re-sent to B (${[...resent.values()].filter((x) => "status" in x && x.status === 200).length} duplicates); ` +
          `${cutOff.length} attempt(s) cut off; ${runs.length} runs (${runs.filter((r) => r.instance === "a").length} on A); all tasks done ${settleMs} ms after the burst`,
      );
    },
    90_000,
  );

  it(
    "the same delivery sent to both instances at the same moment: one 202, one 200 duplicate, never a 5xx — by id and by signature",
    async () => {
      const ROUNDS = 12;
      const url = await createTestDatabase();
      const dir = workdir({});
      const env = { DATABASE_URL: url };
      const [a, b] = await Promise.all([serve(dir, env), serve(dir, env)]);
      // Open a keep-alive connection to each first, so each pair leaves at the same moment.
      await Promise.all([a, b].map((s) => fetch(s.webhookUrl).then((r) => r.text())));

      const won = { a: 0, b: 0 };
      const sameId: Signed[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const d = issueOpened(round + 1, "same-id");
        sameId.push(d);
        const answers = await Promise.all([send(a.webhookUrl, d), send(b.webhookUrl, d)]);
        const statuses = answers.map((x) => ("status" in x ? x.status : x.error));
        expect([...statuses].sort(), `round ${round}: ${answers.map(describeAnswer).join(" | ")}`).toEqual([200, 202]);
        const duplicate = answers.find((x) => "status" in x && x.status === 200)!;
        expect("status" in duplicate && duplicate.body).toEqual({ delivery: d.id, duplicate: true });
        won[statuses[0] === 202 ? "a" : "b"]++;
      }

      // The same body (so the same signature) under two delivery ids: a replay, whichever comes first.
      const pairs: { winner: string; loser: string }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const d1 = issueOpened(100 + round, "same-body");
        const d2 = { ...d1, id: randomUUID() };
        const [toA, toB] = round % 2 === 0 ? [d1, d2] : [d2, d1];
        const answers = await Promise.all([send(a.webhookUrl, toA), send(b.webhookUrl, toB)]);
        const statuses = answers.map((x) => ("status" in x ? x.status : x.error));
        expect([...statuses].sort(), `round ${round}: ${answers.map(describeAnswer).join(" | ")}`).toEqual([200, 202]);
        const winner = statuses[0] === 202 ? toA : toB;
        const loser = winner === toA ? toB : toA;
        expect(answers[winner === toA ? 1 : 0]).toMatchObject({ status: 200, body: { delivery: loser.id, duplicate: true, duplicate_of: winner.id } });
        pairs.push({ winner: winner.id, loser: loser.id });
      }

      // Stored: each raced id once, and of each same-body pair only the one answered 202.
      const stored = await query<{ id: string; tasks: number }>(url, "SELECT d.id, (SELECT count(*)::int FROM tasks t WHERE t.delivery = d.id) AS tasks FROM deliveries d");
      expect(stored.map((r) => r.id).sort()).toEqual([...sameId.map((d) => d.id), ...pairs.map((p) => p.winner)].sort());
      expect(stored.every((r) => r.tasks === 1)).toBe(true);
      for (const s of [a, b]) expect(s.stderr()).not.toMatch(/"level":(50|60)/);
      console.info(`same-id races won: A ${won.a}, B ${won.b}`);
    },
    60_000,
  );

  describe("PostgreSQL restarted under load", () => {
    let cluster: Cluster | undefined;
    beforeAll(async () => {
      cluster = await startPrivateCluster();
    });
    // After the outer afterEach has killed the serve process on it.
    afterAll(() => cluster?.destroy());

    it(
      "every answer is 202, 200 or 503, never a reset; the instance recovers by itself and every 202 is stored",
      async () => {
        const url = await cluster!.createDatabase();
        const dir = workdir({ worker: { leaseMs: 2000 }, retry: { initialDelayMs: 100, maxDelayMs: 500 } });
        const server = await serve(dir, { DATABASE_URL: url });

        interface Sent {
          d: Signed;
          sentAt: number;
          answer: Answer;
        }
        const log: Sent[] = [];
        let n = 0;
        let restartedAt: number | null = null;
        let stop = false;
        const lane = async () => {
          while (!stop) {
            const d = issueOpened(++n, "restart");
            const sentAt = Date.now();
            log.push({ d, sentAt, answer: await send(server.webhookUrl, d, 20_000) });
            await sleep(30);
          }
        };
        const driver = async () => {
          await sleep(1000);
          const restartStarted = Date.now();
          await cluster!.restart();
          restartedAt = Date.now();
          // Load for about 3 s more, and until a delivery sent after the restart was
          // acknowledged (bounded: waitFor fails the test after 20 s).
          await sleep(3000);
          await waitFor(
            () => {
              if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error("the serve process exited");
              return log.some((s) => s.sentAt >= restartedAt! && "status" in s.answer && s.answer.status === 202);
            },
            20_000,
            50,
          )
            .catch((error: Error) => {
              const after = log.filter((s) => s.sentAt >= restartedAt!).map((s) => describeAnswer(s.answer));
              const stderr = server.stderr();
              // A crash ends with Node's report of it; otherwise the last log lines say why.
              const crash = stderr.search(/^node:[\w/]+:\d+$/m);
              const tail = crash >= 0 ? stderr.slice(crash, crash + 1500) : stderr.slice(-2500);
              throw new Error(
                `${error.message} (exit code ${server.child.exitCode}, signal ${server.child.signalCode})\n` +
                  `answers since the restart: ${JSON.stringify(after.slice(0, 3))} … (${after.length})\nserve stderr:\n${tail}`,
              );
            })
            .finally(() => (stop = true));
          return restartedAt - restartStarted;
        };
        const [restartMs] = await Promise.all([driver(), lane(), lane(), lane()]);

        const byStatus = new Map<string, number>();
        for (const s of log) {
          const key = "status" in s.answer ? String(s.answer.status) : `error ${s.answer.error}`;
          byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
        }
        const summary = Object.fromEntries(byStatus);
        // Nothing but 202, 200 and 503: no 500, no connection reset or refusal.
        expect(Object.keys(summary).filter((k) => !["202", "200", "503"].includes(k)), JSON.stringify(summary)).toEqual([]);
        for (const s of log) {
          if ("status" in s.answer && s.answer.status === 503) expect(s.answer.body).toMatchObject({ error: { code: "SWY_E_STORE_UNAVAILABLE" } });
        }
        const accepted = log.filter((s) => "status" in s.answer && s.answer.status === 202);
        expect(accepted.some((s) => s.sentAt < restartedAt!)).toBe(true);
        expect(accepted.some((s) => s.sentAt >= restartedAt!)).toBe(true);

        // Every 202 is in the database.
        const stored = new Set((await query<{ id: string }>(url, "SELECT id FROM deliveries")).map((r) => r.id));
        expect(accepted.map((s) => s.d.id).filter((id) => !stored.has(id))).toEqual([]);

        // Still the same process, up and ready; its worker runs every accepted task to the end.
        expect(server.child.exitCode).toBeNull();
        expect(server.child.signalCode).toBeNull();
        expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
        await waitFor(async () => (await fetch(`${server.adminUrl}/readyz`)).status === 200, 10_000, 100);
        const pending = await waitFor(
          async () => {
            const rows = await query<{ delivery: string; status: string }>(url, "SELECT delivery, status FROM tasks WHERE delivery = ANY($1::text[]) AND status <> 'succeeded'", [
              accepted.map((s) => s.d.id),
            ]);
            return rows.length === 0 ? rows : false;
          },
          30_000,
          250,
        );
        expect(pending).toEqual([]);
        console.info(`restart under load: ${log.length} deliveries, answers ${JSON.stringify(summary)}; restart took ${restartMs} ms`);
      },
      90_000,
    );
  });
});
