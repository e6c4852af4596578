import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createHybridAuth, type HybridAuth } from "../../src/index.js";
import { runCli } from "../../src/adapters/cli/cli.js";
import { createCliHost } from "../../src/infrastructure/cli-host.js";
import { requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.js";
import { hybridAuth, type ProcessResult } from "./spawn.js";

/**
 * `npx hybrid-auth` as an operator runs it: its own process, configuration from the environment
 * and ./.env, the password on stdin, stdout and the exit status read back. Each process start
 * costs seconds (loading the service through tsx), so each step below is one command, and
 * commands that do not depend on each other run side by side.
 */

const PASSWORD = "correct horse battery";

/** runCli with the bin's own host, in this process. */
async function cliInProcess(argv: string[], env: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => null }, createCliHost(env));
  return { status, json: JSON.parse(out.join("\n")) as Record<string, unknown>, err: err.join("\n") };
}

function json(r: ProcessResult): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (exit ${r.status}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

describe("CLI process on PGlite (configuration from ./.env)", function () {
  this.timeout(60_000);
  let cwd: string;

  before(async () => {
    // The operator's working directory: only a .env, as next to a deployed server.
    cwd = await mkdtemp(path.join(os.tmpdir(), "hybrid-auth-cli-"));
    await writeFile(path.join(cwd, ".env"), "DATA_DIR=./data\nBCRYPT_COST=4\nACCOUNT_RETENTION_DAYS=0\n");
  });
  after(() => rm(cwd, { recursive: true, force: true }));

  it("creates a verified user from stdin (exit 0, JSON), refuses a mistyped command (exit 2); then soft-delete and purge on the same PGlite", async () => {
    const [created, wrong] = await Promise.all([
      hybridAuth(["create-user", "ada@example.test", "--name", "Ada Lovelace", "--json"], { cwd, stdin: `${PASSWORD}\n` }),
      hybridAuth(["create-usr", "ada@example.test"], { cwd }),
    ]);
    expect(created.status, created.stderr).to.equal(0);
    const user = json(created).user as { id: string; email: string; isEmailVerified: boolean };
    expect(user).to.include({ email: "ada@example.test", isEmailVerified: true });
    expect(wrong.status).to.equal(2);
    expect(wrong.stdout).to.equal("");
    expect(wrong.stderr).to.include("unknown command create-usr").and.include("hybrid-auth --help");

    // The rest in this process, on the same DATA_DIR (PGlite: one process at a time), through the
    // host the bin uses: a PGlite open costs a second, a process start several.
    const env = { DATA_DIR: path.join(cwd, "data"), ACCOUNT_RETENTION_DAYS: "0", BCRYPT_COST: "4" };
    const service = await createHybridAuth({ config: env });
    try {
      const { user: signedIn } = await service.useCases.signIn.execute({ email: "ada@example.test", password: PASSWORD, meta: { ip: null, userAgent: null } });
      expect(signedIn.id, "the password came through stdin intact").to.equal(user.id);
    } finally {
      await service.close();
    }
    const soft = await cliInProcess(["soft-delete", "ada@example.test", "--json"], env);
    expect(soft.status, soft.err).to.equal(0);
    expect(soft.json.purgeAfter, "ACCOUNT_RETENTION_DAYS=0: due at once").to.equal(soft.json.deactivatedAt);
    const purge = await cliInProcess(["purge", "--json"], env);
    expect(purge.status, purge.err).to.equal(0);
    expect(purge.json).to.include({ ok: true, examined: 1, purged: 1, failed: 0 });
    expect(purge.json.warning, "no REDIS_URL: the server's sessions are out of reach").to.match(/REDIS_URL is not set/);
  });
});

describe("CLI process on PostgreSQL + Redis", function () {
  this.timeout(60_000);
  let cwd: string;
  let env: Record<string, string>;
  let auth: HybridAuth;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    cwd = await mkdtemp(path.join(os.tmpdir(), "hybrid-auth-cli-real-"));
    env = { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, BCRYPT_COST: "4", DATA_DIR: path.join(cwd, "data"), LOG_LEVEL: "silent" };
    // The server's side, embedded: same database, same Redis, same key prefix as the CLI.
    auth = await createHybridAuth({ config: env });
  });
  after(async () => {
    await auth?.close();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it("migrates, and prints the configuration with credentials masked (in-process host)", async () => {
    const host = createCliHost(env);
    expect(await host.migrate()).to.deep.equal({ database: "postgres", location: new URL(TEST_DATABASE_URL).toString() });
    const config = await createCliHost({
      ...env,
      DATABASE_URL: "postgres://ops:pg-secret-9@db.internal:5432/auth",
      REDIS_URL: "redis://:redis-secret-9@cache.internal:6379/0",
      JWT_ACCESS_SECRET: "jwt-access-secret-0123456789-0123456789",
    }).configuration();
    const text = JSON.stringify(config);
    for (const secret of ["pg-secret-9", "redis-secret-9", "jwt-access-secret"]) expect(text).to.not.include(secret);
    expect(config).to.deep.include({ databaseUrl: "postgres://ops:***@db.internal:5432/auth", adapters: { database: "postgres", sessions: "redis", mail: "outbox" } });
  });

  it("creates a user, lists the sessions the server holds for it, and locks it out of sign-in", async () => {
    const email = `ops-${randomUUID().slice(0, 8)}@example.test`;
    const [created, unknown] = await Promise.all([
      hybridAuth(["create-user", email, "--name", "Ann", "--password", PASSWORD, "--json"], { cwd, env }),
      hybridAuth(["sessions", `nobody-${randomUUID().slice(0, 8)}@example.test`, "--json"], { cwd, env }),
    ]);
    expect(created.status, created.stderr).to.equal(0);
    expect(unknown.status).to.equal(1);
    expect(json(unknown)).to.deep.include({ ok: false, error: { code: "USER_NOT_FOUND", message: "User not found" } });

    const meta = (userAgent: string) => ({ ip: "203.0.113.50", userAgent });
    const phone = await auth.useCases.signIn.execute({ email, password: PASSWORD, meta: meta("phone") });
    const laptop = await auth.useCases.signIn.execute({ email, password: PASSWORD, meta: meta("laptop") });

    const [listed, locked] = await Promise.all([
      hybridAuth(["sessions", email, "--json"], { cwd, env }),
      hybridAuth(["lock", email, "--seconds", "300"], { cwd, env }),
    ]);
    expect(listed.status, listed.stderr).to.equal(0);
    const sessions = json(listed).sessions as Array<{ id: string; userAgent: string }>;
    expect(sessions.map((s) => [s.id, s.userAgent])).to.have.deep.members([
      [phone.session.id, "phone"],
      [laptop.session.id, "laptop"],
    ]);
    expect(locked.status, locked.stderr).to.equal(0);
    expect(locked.stdout).to.equal(`Password sign-in for ${email} is blocked for 300 s.\n`);
    const blocked = await auth.useCases.signIn.execute({ email, password: PASSWORD, meta: meta("phone") }).catch((e: { code: string }) => e.code);
    expect(blocked, "the lock lives in the shared Redis").to.equal("TOO_MANY_ATTEMPTS");
  });
});
