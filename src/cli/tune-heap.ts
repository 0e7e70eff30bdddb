import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

/**
 * Growth of the old generation after each full GC, in percent, unless the operator set it.
 * V8's own factor (up to 4× the live size under a high allocation rate) let a ~30 MB live
 * heap reach ~100 MB of old space between full GCs under webhook load: mostly garbage.
 */
export const HEAP_GROWING_PERCENT = 30;
/** The young generation stops growing once a semi-space is this big (V8's default max is 16 MB). */
export const SEMI_SPACE_CAP_MB = 4;

const MB = 1024 * 1024;

/** Did the operator set this V8 flag themselves (node arguments or NODE_OPTIONS)? */
function operatorSet(flag: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const spelled = (s: string) => s.replaceAll("_", "-").includes(`--${flag}`);
  return execArgv.some(spelled) || (nodeOptions !== undefined && spelled(nodeOptions));
}

/** The command a `switchyard` command line runs: its first argument that is not an option. */
export function commandOf(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith("-"));
}

/**
 * Bounds the V8 heap of a long-running `serve` or `work` (docs/performance.md, memory).
 * Called by bin/switchyard.js before anything else loads. Only flags V8 reads at each GC
 * can be changed once the process runs: `--max-semi-space-size` and `--max-old-space-size`
 * set here are silently ignored (measured), so the young generation is capped by turning
 * its growth off (`--semi-space-growth-factor=1`) whenever a semi-space has reached
 * SEMI_SPACE_CAP_MB, and the old generation grows by HEAP_GROWING_PERCENT after each full
 * GC. Flags the operator passed to node (or in NODE_OPTIONS) win.
 *
 * @example if (["serve", "work"].includes(commandOf(argv) ?? "")) tuneHeapForServe();
 */
export function tuneHeapForServe(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): void {
  if (!operatorSet("heap-growing-percent", execArgv, nodeOptions)) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (operatorSet("max-semi-space-size", execArgv, nodeOptions) || operatorSet("semi-space-growth-factor", execArgv, nodeOptions)) return;
  // new_space's size is both semi-spaces; V8 doubles it (1, 2, 4 MB…) in scavenges. Start-up
  // is one synchronous stretch that would grow it to the 16 MB default before any callback
  // runs, so growth starts off; once the event loop turns, every GC is reported here before
  // the next one, and growth is on exactly while a semi-space is below the cap (on again
  // should V8 shrink the young generation while the server idles).
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  let growing = false;
  const semiSpace = () => (v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0) / 2;
  const observer = new PerformanceObserver(() => {
    const grow = semiSpace() < SEMI_SPACE_CAP_MB * MB;
    if (grow === growing) return;
    growing = grow;
    v8.setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  });
  observer.observe({ entryTypes: ["gc"] });
}
