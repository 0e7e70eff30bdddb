import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const LOWEST_PORT = 20_000;

/** Below the kernel's ephemeral range, so servers that other tests start on port 0 never take it. */
function ephemeralFloor(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST_PORT + 1_000 ? low : 0;
  } catch {
    return 0;
  }
}

async function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port that was free a moment ago. A cluster keeps its port across restarts,
 * and while it is down any test binding port 0 could be handed that port if it came from
 * the ephemeral range: so it is picked below that range when the kernel says where it is.
 *
 * @example
 * const port = await pickClusterPort(); // e.g. 27413
 */
export async function pickClusterPort(): Promise<number> {
  const floor = ephemeralFloor();
  for (let attempt = 0; floor > 0 && attempt < 50; attempt++) {
    const candidate = LOWEST_PORT + Math.floor(Math.random() * (floor - LOWEST_PORT));
    const port = await tryListen(candidate);
    if (port !== null) return port;
  }
  const port = await tryListen(0);
  if (port === null) throw new Error("could not bind any loopback port");
  return port;
}
