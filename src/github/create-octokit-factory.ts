import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";

import { refuseNonJsonAnswers } from "./json-answers.js";
import { authMode, type AuthMode } from "./write-mode.js";

export interface OctokitFactory {
  mode: AuthMode;
  /** An Octokit for the delivery's installation (App auth) or the token; null without credentials. */
  forInstallation: (installationId: number | null) => Octokit | null;
  /** The key writes are paced by: one token, or one installation. */
  paceKey: (installationId: number | null) => string;
  /** App auth: a client authenticated as the App itself (JWT), for GET /app; null otherwise. */
  appClient: () => Octokit | null;
}

/**
 * Octokit's own log, mapped onto ours. Its `error` lines are its request log's failed
 * requests ("GET … - 500 with id …"): the worker already reports the attempt they fail, with
 * the delivery and task, and retries it, so they are debug here, not an error per attempt
 * without context. Warnings (deprecations) stay warnings.
 */
function octokitLog(logger: Logger) {
  return {
    // Before each call Octokit's request log says just "request", with the request's options
    // as a second argument: the line is worth having with its method and route, and nothing
    // else of those options is logged (their headers carry the token, their body an agent's text).
    debug: (message: string, options?: unknown) => {
      const request = methodAndUrl(options);
      if (request) logger.debug(request, `GitHub request: ${request.method} ${request.url}`);
      else if (message !== "request") logger.debug(message);
    },
    info: (message: string) => logger.debug(message),
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.debug(message),
  };
}

/** The method and URL (a route template like `/repos/{owner}/{repo}`) of Octokit's request options; null for anything else. */
function methodAndUrl(options: unknown): { method: string; url: string } | null {
  if (typeof options !== "object" || options === null) return null;
  const { method, url } = options as { method?: unknown; url?: unknown };
  return typeof method === "string" && typeof url === "string" ? { method, url } : null;
}

/**
 * Builds Octokit clients against `github.apiUrl`. No retries happen inside Octokit
 * (@octokit/rest carries no retry plugin): the worker is the one retry mechanism, so every
 * attempt is recorded. App auth mints an installation token per installation and caches it
 * until it expires (@octokit/auth-app does the caching).
 */
export function createOctokitFactory(github: Config["github"], logger: Logger): OctokitFactory {
  const mode = authMode(github);
  const log = octokitLog(logger);
  const byInstallation = new Map<number, Octokit>();
  let tokenClient: Octokit | null = null;

  let appClient: Octokit | null = null;
  // An apiUrl that answers 200 with a web page must fail as that, not as a TypeError in an agent.
  const guarded = (octokit: Octokit): Octokit => {
    refuseNonJsonAnswers(octokit, github.apiUrl);
    return octokit;
  };

  return {
    mode,
    appClient: () => {
      if (mode !== "app") return null;
      appClient ??= guarded(new Octokit({ authStrategy: createAppAuth, auth: { appId: github.appId!, privateKey: github.privateKey! }, baseUrl: github.apiUrl, log, userAgent: "switchyard" }));
      return appClient;
    },
    paceKey: (installationId) => (mode === "app" ? `installation:${installationId ?? "none"}` : "token"),
    forInstallation: (installationId) => {
      if (mode === "none") return null;
      if (mode === "token") {
        tokenClient ??= guarded(new Octokit({ auth: github.token!, baseUrl: github.apiUrl, log, userAgent: "switchyard" }));
        return tokenClient;
      }
      if (installationId === null) {
        throw new Error("this delivery names no installation, so no installation token can be made: is the App installed on the repository?");
      }
      let client = byInstallation.get(installationId);
      if (!client) {
        client = guarded(
          new Octokit({
            authStrategy: createAppAuth,
            auth: { appId: github.appId!, privateKey: github.privateKey!, installationId },
            baseUrl: github.apiUrl,
            log,
            userAgent: "switchyard",
          }),
        );
        byInstallation.set(installationId, client);
      }
      return client;
    },
  };
}
