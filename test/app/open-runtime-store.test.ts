import { describe, expect, it } from "vitest";
import { openRuntimeStore } from "../../src/app/open-runtime-store.js";
import { parseConfig } from "../../src/config/load-config.js";
import { UsageError } from "../../src/errors.js";
import { createLogger } from "../../src/observability/logger.js";

describe("serve's store, when DATABASE_URL's host does not resolve", () => {
  it("tries again for a while (a database container not started yet), saying so once, then gives up as a usage error", async () => {
    // .invalid never resolves (RFC 2606).
    const { config } = parseConfig({ store: { url: "postgres://app:secret@no-such-host.invalid:5432/switchyard" } });
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const started = Date.now();
    const error = await openRuntimeStore(config, { logger, hostWaitMs: 2_500 }).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("cannot use the database postgres://***@no-such-host.invalid:5432/switchyard: the host name does not resolve: fix the host in DATABASE_URL");
    // Tried for about the wait, one warning for all the tries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    const waits = lines.filter((l) => l.msg.startsWith("the database's host name does not resolve (yet)"));
    expect(waits).toHaveLength(1);
    expect(waits[0]!.level).toBe(40);
  });
});
