import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openPostgres, runMigrations, type DatabaseHandle } from "../../src/adapters/persistence/drizzle/database.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { TOKENS } from "../../src/application/tokens.js";
import { deactivation } from "../../src/domain/account-deletion.policy.js";
import { runPurge } from "../../src/infrastructure/features/account.feature.js";
import { newUser } from "../contract/user-repository.contract.js";
import { FakeAvatarStorage } from "../support/fake-avatar.storage.js";
import { PASSWORD, registerVerified, signInTokens, startTestApp, type TestApp } from "../support/http-harness.js";
import { requirePostgres, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.js";

const A = "/api/v1/auth";
const DAY = 24 * 3600_000;

/** Signs up, signs in and soft-deletes an account through the routes; returns its id. */
async function softDeleted(app: TestApp): Promise<{ id: string; email: string }> {
  const email = await registerVerified(app);
  const { accessToken, userId } = await signInTokens(app, email);
  const auth = { Authorization: `Bearer ${accessToken}` };
  await app.request.post(`${A}/account/request-delete`).set(auth).send({ password: PASSWORD }).expect(200);
  let token: string | undefined;
  for (let i = 0; i < 300 && !token; i++) {
    await new Promise((r) => setTimeout(r, 10));
    token = /token=([A-Za-z0-9_-]+)/.exec(app.mailer.last(email, "account-delete")?.text ?? "")?.[1];
  }
  await app.request.delete(`${A}/account/delete`).set(auth).send({ token }).expect(200);
  return { id: userId, email };
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe("Account purge schedule", () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function app(env: Record<string, string>): Promise<TestApp> {
    const started = await startTestApp("memory", { env, overrides: new Map([[TOKENS.AvatarStorage, new FakeAvatarStorage()]]) });
    apps.push(started);
    return started;
  }

  it("runs in the server when PURGE_INTERVAL_SECONDS > 0 outside NODE_ENV=test", async () => {
    const server = await app({ NODE_ENV: "development", PURGE_INTERVAL_SECONDS: "1", ACCOUNT_RETENTION_DAYS: "0" });
    const user = await softDeleted(server);
    expect(await waitFor(async () => (await server.ctx.users.findById(user.id)) === null, 4000)).to.equal(true);
  });

  it("does not run under NODE_ENV=test or with PURGE_INTERVAL_SECONDS=0", async () => {
    const underTest = await app({ NODE_ENV: "test", PURGE_INTERVAL_SECONDS: "1", ACCOUNT_RETENTION_DAYS: "0" });
    const disabled = await app({ NODE_ENV: "development", PURGE_INTERVAL_SECONDS: "0", ACCOUNT_RETENTION_DAYS: "0" });
    const a = await softDeleted(underTest);
    const b = await softDeleted(disabled);
    expect(await waitFor(async () => (await underTest.ctx.users.findById(a.id)) === null || (await disabled.ctx.users.findById(b.id)) === null, 1500)).to.equal(
      false,
    );
  });

  it("runPurge works through a backlog batch by batch, and the address is free again", async () => {
    const server = await app({ ACCOUNT_RETENTION_DAYS: "30" });
    const users = [await softDeleted(server), await softDeleted(server), await softDeleted(server)];
    expect(await runPurge(server.ctx.container, { batchSize: 2 })).to.deep.equal({ examined: 0, purged: 0, alreadyGone: 0, failed: 0 });

    const out = await runPurge(server.ctx.container, { batchSize: 2, now: new Date(server.clock.now().getTime() + 30 * DAY) });
    expect(out).to.deep.equal({ examined: 3, purged: 3, alreadyGone: 0, failed: 0 });
    for (const u of users) expect(await server.ctx.users.findById(u.id)).to.equal(null);
  });
});

describe("npm run purge (src/infrastructure/purge.ts)", function () {
  this.timeout(30_000);
  let handle: DatabaseHandle | undefined;
  let repo: DrizzleUserRepository;
  let due: { id: string };
  let inside: { id: string };
  // Both runs start together: each process spends seconds loading the app.
  let ok: { code: number; output: string };
  let down: { code: number; output: string };

  before(async function () {
    await requirePostgres(this);
    handle = await openPostgres(TEST_DATABASE_URL, { max: 2 });
    await runMigrations(handle);
    repo = new DrizzleUserRepository(handle.db);
    const now = new Date();
    due = await repo.create(newUser(deactivation(new Date(now.getTime() - 31 * DAY), 30)));
    inside = await repo.create(newUser(deactivation(new Date(now.getTime() - 29 * DAY), 30)));
    [ok, down] = await Promise.all([
      runCli({ DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL }),
      runCli({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere" }),
    ]);
  });
  after(async () => {
    if (inside) await repo.delete(inside.id);
    await handle?.close();
  });

  function runCli(env: Record<string, string>): Promise<{ code: number; output: string }> {
    const script = path.resolve("src/infrastructure/purge.ts");
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", script],
        {
          env: {
            PATH: process.env.PATH,
            NODE_ENV: "test",
            LOG_LEVEL: "warn",
            DATA_DIR: path.join(os.tmpdir(), `hybrid-auth-purge-${randomUUID()}`),
            ...env,
          },
          timeout: 25_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
  }

  it("erases the accounts past their window and exits 0", async () => {
    expect(ok.code, ok.output).to.equal(0);
    expect(await repo.findById(due.id)).to.equal(null);
    expect(await repo.findById(inside.id)).to.not.equal(null);
  });

  it("exits 1 with one line when the database is unreachable", async () => {
    expect(down.code).to.equal(1);
    expect(down.output.trim().split("\n")).to.have.length(1);
    expect(down.output).to.match(/^purge failed: /);
  });
});
