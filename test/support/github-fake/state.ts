import { notFound } from "./http-error.js";
import type {
  FakeComment, FakeDeployment, FakeDeploymentStatus, FakeDispatch, FakeIssue, FakeLabel, FakePull,
  FakeReaction, FakeReview, FakeStatus, FakeUser, FakeWorkflow, Permission, UserType,
} from "./types.js";

/** GitHub's timestamps have no milliseconds. */
export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Everything the fake knows: users, repositories, who is calling. */
export class World {
  baseUrl = "";
  readonly users = new Map<string, FakeUser>();
  readonly repos = new Map<string, RepoState>();
  /** Who a personal/OAuth token acts as (`GET /user`). */
  identity: FakeUser;
  app = { id: 1, slug: "switchyard", name: "switchyard" };
  /** Installation tokens minted by `POST /app/installations/{id}/access_tokens`: they act as `<slug>[bot]`. */
  readonly installationTokens = new Set<string>();
  private lastId = 1000;

  constructor() {
    this.identity = this.user("switchyard-test");
  }

  /** A fresh id; ids seeded from payloads push it up so later ids never collide. */
  nextId(seen?: number): number {
    if (seen !== undefined) {
      this.lastId = Math.max(this.lastId, seen);
      return seen;
    }
    return ++this.lastId;
  }

  /** The user with this login, created on first mention (`…[bot]` logins are Bots). */
  user(login: string, type?: UserType, id?: number): FakeUser {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      user = { login, id: this.nextId(id), type: type ?? (login.endsWith("[bot]") ? "Bot" : "User") };
      this.users.set(key, user);
    } else if (type) user.type = type;
    return user;
  }

  /** Repository names are case-insensitive on GitHub. */
  repo(owner: string, name: string, create = false): RepoState | undefined {
    const key = `${owner}/${name}`.toLowerCase();
    let repo = this.repos.get(key);
    if (!repo && create) {
      repo = new RepoState(this, owner, name);
      this.repos.set(key, repo);
    }
    return repo;
  }

  /** The login a request acts as, from its Authorization header. */
  actor(authorization: string | undefined): FakeUser {
    const token = authorization?.replace(/^(token|bearer)\s+/i, "");
    if (token && this.installationTokens.has(token)) return this.user(`${this.app.slug}[bot]`, "Bot");
    return this.identity;
  }
}

/** One repository's issues, pulls, labels, comments and the rest, as plain records. */
export class RepoState {
  readonly id: number;
  defaultBranch = "main";
  readonly issues = new Map<number, FakeIssue>();
  readonly pulls = new Map<number, FakePull>();
  readonly labels: FakeLabel[] = [];
  readonly comments: FakeComment[] = [];
  readonly reactions: FakeReaction[] = [];
  readonly reviews: FakeReview[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly deployments: FakeDeployment[] = [];
  readonly deploymentStatuses: FakeDeploymentStatus[] = [];
  readonly workflows: FakeWorkflow[] = [];
  readonly dispatches: FakeDispatch[] = [];
  readonly permissions = new Map<string, Permission>();
  /** Branch name → head sha, for resolving `ref`s (deployments, dispatches, statuses). */
  readonly branches = new Map<string, string>();

  constructor(
    readonly world: World,
    readonly owner: string,
    readonly name: string,
  ) {
    this.id = world.nextId();
    world.user(owner);
    this.branches.set("main", "0".repeat(40));
  }

  get fullName(): string {
    return `${this.owner}/${this.name}`;
  }

  issue(number: number): FakeIssue {
    const issue = this.issues.get(number);
    if (!issue) throw notFound();
    return issue;
  }

  pull(number: number): FakePull {
    const pull = this.pulls.get(number);
    if (!pull) throw notFound();
    return pull;
  }

  comment(id: number): FakeComment {
    const comment = this.comments.find((c) => c.id === id);
    if (!comment) throw notFound();
    return comment;
  }

  deployment(id: number): FakeDeployment {
    const deployment = this.deployments.find((d) => d.id === id);
    if (!deployment) throw notFound();
    return deployment;
  }

  /** Label names are case-insensitive on GitHub. */
  findLabel(name: string): FakeLabel | undefined {
    return this.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
  }

  /** Adding an unknown label to an issue creates it (grey, as GitHub does). */
  ensureLabel(name: string, color = "ededed", description: string | null = null, id?: number): FakeLabel {
    let label = this.findLabel(name);
    if (!label) {
      label = { id: this.world.nextId(id), name, color, description };
      this.labels.push(label);
    }
    return label;
  }

  /** Add label names to an issue, keeping the repository's spelling and skipping ones it has. */
  addLabels(issue: FakeIssue, names: string[]): void {
    for (const name of names) {
      const label = this.ensureLabel(name);
      if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) issue.labels.push(label.name);
    }
  }

  /**
   * Explicit grants first; the owner of a user-owned repository is admin; anyone else is
   * "none". (GitHub says "read" for outsiders of a public repository: "none" is the
   * conservative choice, so an unseeded commenter never passes a permission check.)
   */
  permissionOf(login: string): Permission {
    const granted = this.permissions.get(login.toLowerCase());
    if (granted) return granted;
    return login.toLowerCase() === this.owner.toLowerCase() && this.world.user(this.owner).type === "User" ? "admin" : "none";
  }

  nextNumber(): number {
    return Math.max(0, ...this.issues.keys()) + 1;
  }

  /** A branch name or a full sha → sha; undefined when GitHub would say "No ref found". */
  resolveRef(ref: string): string | undefined {
    const branch = ref.replace(/^refs\/heads\//, "");
    return this.branches.get(branch) ?? (/^[0-9a-f]{40}$/i.test(ref) ? ref : undefined);
  }

  /** The workflow by numeric id or by file name (`deploy.yml`), as dispatch accepts both. */
  workflow(idOrFile: string): FakeWorkflow {
    const workflow = this.workflows.find((w) => String(w.id) === idOrFile || w.path.split("/").pop() === idOrFile);
    if (!workflow) throw notFound();
    return workflow;
  }
}
