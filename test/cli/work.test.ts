import { afterAll, describe, expect, it } from "vitest";
import { createWorkdir, runCli } from "../support/run-cli.js";

const work = createWorkdir();
afterAll(() => work.remove());

const run = (args: string[], env?: Record<string, string>) => runCli(args, { cwd: work.dir, env });

describe.concurrent("serve and work on the command line", () => {
  it("--help lists serve and work", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    // Commander wraps descriptions at the terminal width.
    const text = result.stdout.replace(/\s+/g, " ");
    expect(text).toContain("serve [options] run the webhook listener, the admin listener and the worker (--role picks which)");
    expect(text).toContain("work [options] run the worker and the admin listener, no webhook listener: serve --role worker");
  });

  it("work --help works and says it is serve --role worker", async () => {
    const result = await run(["work", "--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Usage: switchyard work \[options\]/);
    expect(result.stdout.replace(/\s+/g, " ")).toContain("serve --role worker");
    expect(result.stdout).toContain("--config <file>");
    expect(result.stdout).not.toContain("--role <role>");
  });

  it("serve --help lists --role and its choices", async () => {
    const result = await run(["serve", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--role <role>");
    expect(result.stdout).toMatch(/choices: "all", "ingest", "worker"/);
  });

  it("an unknown --role is exit 2 naming the choices, before anything starts", async () => {
    const result = await run(["serve", "--role", "webhooks"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--role <role>.*'webhooks' is invalid.*all, ingest, worker/);
  });

  it("an unknown SWITCHYARD_ROLE is exit 2 naming the variable", async () => {
    const result = await run(["serve"], { SWITCHYARD_ROLE: "everything" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^switchyard: SWITCHYARD_ROLE="everything" is not a role: use all, ingest, worker/);
  });
});
