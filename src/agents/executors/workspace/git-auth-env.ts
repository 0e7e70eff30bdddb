/**
 * The environment that gives one git command (a fetch or a push) the token, and nothing
 * else: an `Authorization` header for the remote's origin only, through git's
 * GIT_CONFIG_COUNT variables (git 2.31+). Nothing is written to a file, the URL or the
 * repository's config, so the agent, which runs in the same worktree, never finds it.
 * `x-access-token` as user is what GitHub takes for App installation tokens and PATs alike.
 * https://git-scm.com/docs/git-config#Documentation/git-config.txt-GITCONFIGCOUNT
 * https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
 *
 * @example gitAuthEnv("https://github.com/octo/app.git", "ghs_x") // { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.https://github.com/.extraHeader", … }
 */
export function gitAuthEnv(remote: string, token: string | null): Record<string, string> {
  if (!token || !/^https?:\/\//i.test(remote)) return {};
  const origin = `${new URL(remote).origin}/`;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: `http.${origin}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}
