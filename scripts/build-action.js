// Bundles the GitHub Action: src/action/main.ts and everything it imports into ONE file,
// dist/action/index.js, that runs with no node_modules beside it (action.yml's `main`).
// CommonJS, so `node index.js` runs it wherever the file is copied; a package.json beside
// it says so, because the repository's own says "type": "module".
// The action must never load a native module or a database driver: it runs on the
// in-memory store. The build fails if one slips into the bundle.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// `--outdir DIR` (tests build into a temporary directory); default dist/action.
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : path.join(root, "dist", "action");
const FORBIDDEN = [/node_modules\/(better-sqlite3|bindings|pg|pg-[a-z-]+|pgpass)\//, /\.node$/];

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/action/main.ts"],
  outfile: path.join(outdir, "index.js"),
  bundle: true,
  platform: "node",
  // The action runs on node24; node20 keeps the file runnable on the oldest Node switchyard supports.
  target: "node20",
  format: "cjs",
  metafile: true,
  // Smaller, while identifiers stay readable in a stack trace.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  logLevel: "warning",
});

const forbidden = Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN.some((re) => re.test(input)));
if (forbidden.length > 0) {
  console.error(`build-action: the action bundle must not contain a native module or database driver, found: ${forbidden.join(", ")}`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });
writeFileSync(path.join(outdir, "package.json"), '{ "type": "commonjs" }\n');
