// The dashboard's static files (src/http/dashboard/) are served from beside the compiled
// dashboard-routes.js, so the build copies them into dist/http/dashboard/.
import { cpSync, rmSync } from "node:fs";

rmSync("dist/http/dashboard", { recursive: true, force: true });
cpSync("src/http/dashboard", "dist/http/dashboard", { recursive: true });
