import type { CliIo } from "./io.js";

/**
 * Signals this soon after the first are the same request: a terminal's Ctrl-C reaches npm
 * and switchyard together and npm forwards its copy; tmux and systemd send duplicates too.
 */
export const SAME_REQUEST_MS = 2000;

/**
 * What a SIGINT or SIGTERM asks for, given when the first one came (null: this is the
 * first): stop gracefully, nothing new (the same request again), or force the stop.
 *
 * @example
 * signalMeaning(null, 1000) // "stop"
 * signalMeaning(1000, 1400) // "same"
 * signalMeaning(1000, 4000) // "force"
 */
export function signalMeaning(firstAt: number | null, at: number): "stop" | "same" | "force" {
  if (firstAt === null) return "stop";
  return at - firstAt < SAME_REQUEST_MS ? "same" : "force";
}

/**
 * Listens for SIGINT and SIGTERM until the returned function is called (`serve` while it
 * runs, `route` while its agents run): the first signal calls `stop`, one within
 * SAME_REQUEST_MS is said to be the same request and ignored, a later one calls `force`
 * (once). Each handler says what it does.
 *
 * Listening at all matters: Node's default for these signals ends the process without
 * running its "exit" handlers, so the exec agents' process groups would outlive it.
 *
 * @example
 * const stopListening = onStopSignals(io, { stop: (signal) => …, force: (signal) => … });
 */
export function onStopSignals(
  io: CliIo,
  handlers: { stop: (signal: NodeJS.Signals) => void; force: (signal: NodeJS.Signals) => void },
): () => void {
  let firstAt: number | null = null;
  let forced = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const meaning = signalMeaning(firstAt, Date.now());
    if (meaning === "same") {
      io.stderr(`switchyard: ${signal} again within ${SAME_REQUEST_MS / 1000} s: the same request (npm and terminals send one twice); send it again later to force the stop\n`);
      return;
    }
    if (meaning === "force") {
      if (forced) return;
      forced = true;
      handlers.force(signal);
      return;
    }
    firstAt = Date.now();
    handlers.stop(signal);
  };
  // `on`, not `once`: with `once` a second signal would meet Node's default handler and
  // kill the process mid-stop, leaving the agents' process groups orphaned.
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
