import { spawn, execFileSync } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** One request the git server answered. */
export interface GitHttpRequest {
  method: string;
  /** `git-upload-pack` (fetch) or `git-receive-pack` (push). */
  service: string;
  authorized: boolean;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`: repositories are at `<url>/<owner>/<repo>.git`. */
  url: string;
  requests: GitHttpRequest[];
  close: () => Promise<void>;
}

/**
 * GitHub's git over HTTPS, small: git's own smart-HTTP CGI (`git http-backend`) over the bare
 * repositories under `root`, answering only requests that carry `Authorization: Basic
 * x-access-token:<token>` as GitHub takes installation tokens; others get 401.
 */
export async function startGitHttpServer(root: string, token: string): Promise<GitHttpServer> {
  const backend = path.join(execFileSync("git", ["--exec-path"]).toString().trim(), "git-http-backend");
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  const requests: GitHttpRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const service = url.searchParams.get("service") ?? url.pathname.split("/").pop() ?? "";
    const authorized = req.headers.authorization === expected;
    requests.push({ method: req.method ?? "GET", service, authorized });
    if (!authorized) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' }).end();
      return;
    }
    const cgi = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        // http-backend allows pushes only from an authenticated user.
        REMOTE_USER: "x-access-token",
        REMOTE_ADDR: "127.0.0.1",
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
    cgi.on("close", () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf("\r\n\r\n");
      const head = out.subarray(0, split).toString("latin1");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split("\r\n")) {
        const [name, ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name!.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else if (name) headers[name] = value;
      }
      res.writeHead(status, headers).end(out.subarray(split + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
