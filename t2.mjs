import { parseConfig } from "./dist/config/load-config.js";
const rule = { id: "r", when: { event: "issues" }, agent: "IssueAgent", priority: "low", action: "x" };
const cases = {
  execString: { agents: { A: { exec: "./x.sh --fast" } } },
  execEmpty: { agents: { A: { exec: [] } } },
  noAction: { routing: { rules: [{ ...rule, action: undefined }] } },
  noAgent: { routing: { rules: [{ ...rule, agent: undefined }] } },
  noPriority: { routing: { rules: [{ ...rule, priority: undefined }] } },
  badPriority: { routing: { rules: [{ ...rule, priority: "urgent" }] } },
  noId: { routing: { rules: [{ ...rule, id: undefined }] } },
  noWhen: { routing: { rules: [{ ...rule, when: undefined }] } },
  noEvent: { routing: { rules: [{ ...rule, when: {} }] } },
  emptyAction: { routing: { rules: [{ ...rule, action: "" }] } },
  numAction: { routing: { rules: [{ ...rule, action: 5 }] } },
  timeoutNeg: { agents: { A: { exec: ["x"], timeout: -5 } } },
  timeoutNegStr: { agents: { A: { exec: ["x"], timeout: "-5s" } } },
  timeoutBad: { agents: { A: { exec: ["x"], timeout: "5 minutes" } } },
  httpTimeoutNeg: { agents: { A: { http: { url: "https://a.example", secret: "0123456789abcdef0" }, timeout: -5 } } },
  wsTimeoutNeg: { agents: { A: { workspace: { run: ["x"], timeout: -1 } } } },
  wsRunString: { agents: { A: { workspace: { run: "claude -p" } } } },
  httpNoUrl: { agents: { A: { http: { secret: "0123456789abcdef0" } } } },
  httpNoHttp: { agents: { A: { http: null } } },
  wfNoId: { agents: { A: { workflow: { ref: "main" } } } },
  builtinEmpty: { agents: { A: { builtin: null } } },
  envString: { agents: { A: { exec: ["x"], env: "FOO" } } },
  hookNoId: { recovery: { hooks: [{ repository: "a/b" }] } },
  perRepoNoLimit: { worker: { perRepository: {} } },
  incidentsNoRepo: { security: { incidents: {} } },
  intervalNeg: { recovery: { interval: -1 } },
  leaseNeg: { worker: { leaseMs: -5 } },
  rulesNotList: { routing: { rules: { id: "r" } } },
  labelsString: { agents: { A: { workspace: { run: ["x"], labels: "a" } } } },
};
for (const [name, raw] of Object.entries(cases)) {
  try { parseConfig(raw, null, new Map(), { needsGitHub: false }); console.log(name, "OK"); } catch (e) { console.log(name, "=>", e.message); }
}
