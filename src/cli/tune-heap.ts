import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

/**
 * Growth of the old generation after each full GC, in percent, unless the operator set it.
 * V8's own factor (up to 4× the live size under a high allocation rate) let a ~30 MB live
 * heap reach ~100 MB of old space between full GCs under webhook load: mostly garbage.
 */
export const HEAP_GROWING_PERCENT = 30;
/** The young generation grows while a semi-space is smaller than this (V8's default maximum is 16 MB). */
export const SEMI_SPACE_CAP_MB = 4;

const MB = 1024 * 1024;
/** Set by tuneHeapForServe: applies the flags again (see reassertHeapTuning). */
let reapply: (() => void) | null = null;
/** Did the operator set this V8 flag themselves (node arguments or NODE_OPTIONS)? */
function operatorSet(flag: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const spelled = (s: string) => s.replaceAll("_", "-").includes(`--${flag}`);
  return execArgv.some(spelled) || (nodeOptions !== undefined && spelled(nodeOptions));
}

/** The options switchyard itself takes before the command that are followed by a value (`--config FILE`). */
const VALUE_OPTIONS = new Set(["-c", "--config"]);

/**
 * The command a `switchyard` command line runs: its first argument that is neither an
 * option nor the value of one (`switchyard --config x.yaml serve` runs serve).
 */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (VALUE_OPTIONS.has(args[i]!)) i++;
    else if (!args[i]!.startsWith("-")) return args[i];
  }
  return undefined;
}

/**
 * Bounds the V8 heap of a long-running `serve` or `work` (docs/performance.md, memory).
 * Called by bin/switchyard.js before anything else loads. Only flags V8 reads at each GC
 * can be changed once the process runs: `--max-semi-space-size` and `--max-old-space-size`
 * set here are silently ignored (measured), so the young generation is capped by turning
 * its growth off (`--semi-space-growth-factor=1`) once a semi-space has reached
 * SEMI_SPACE_CAP_MB, and the old generation grows by
 * HEAP_GROWING_PERCENT after each full GC. Flags the operator passed to node (or in
 * NODE_OPTIONS) win. Node documents changing V8 flags after start as unsupported: this is
 * measured on Node 20 (docs/performance.md) and worth re-measuring on another major.
 *
 * @example if (["serve", "work"].includes(commandOf(argv) ?? "")) tuneHeapForServe();
 */
export function tuneHeapForServe(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): void {
  const tuneOld = !operatorSet("heap-growing-percent", execArgv, nodeOptions);
  const tuneYoung = !operatorSet("max-semi-space-size", execArgv, nodeOptions) && !operatorSet("semi-space-growth-factor", execArgv, nodeOptions);
  // new_space's size is both semi-spaces; V8 doubles it in scavenges up to 16 MB each.
  // Start-up is one synchronous stretch that would grow it to the maximum before any
  // callback runs, so growth starts off; after that it is on exactly while a semi-space is
  // below SEMI_SPACE_CAP_MB. Both flags are set again after every GC, not only when the
  // decision changes: starting a worker thread (the SQLite checkpointer) undid a growth
  // factor set once (measured: the young generation then grew to 32 MB). GC reports
  // come asynchronously, so a growth step can slip past the cap before the next report.
  const semiSpace = () => (v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0) / 2;
  const apply = (young: boolean) => {
    if (tuneOld) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    if (tuneYoung) v8.setFlagsFromString(`--semi-space-growth-factor=${young && semiSpace() < SEMI_SPACE_CAP_MB * MB ? 2 : 1}`);
  };
  if (!tuneOld && !tuneYoung) return;
  apply(false);
  reapply = () => apply(true);
  const observer = new PerformanceObserver(() => apply(true));
  observer.observe({ entryTypes: ["gc"] });
}

/**
 * Sets the heap flags of tuneHeapForServe again, at once (a no-op when the heap is not
 * tuned). V8 puts `--semi-space-growth-factor` back to its default whenever it configures a
 * new isolate, as a worker thread starts; the next GC report sets it again, but a scavenge
 * on the serving thread before that report grew the young generation past the cap
 * (measured: 16 MB instead of 8 from the SQLite checkpoint thread's start, +8 MiB of RSS).
 * So whoever starts a thread calls this as soon as the thread runs.
 *
 * @example startCheckpointer(db, file, { onStarted: reassertHeapTuning });
 */
export function reassertHeapTuning(): void {
  reapply?.();
}
