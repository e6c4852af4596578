import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.js";
import { REPO_ROOT, runNode, type ProcessResult } from "./spawn.js";

/**
 * The README's library examples are real scripts: run each the way the README says
 * (`npx tsx examples/library/<name>.ts`, here `node --import tsx`), side by side, and check what
 * they print and that they exit on their own (close() leaves nothing running).
 */
describe("examples/library (the README's embedding examples)", function () {
  this.timeout(60_000);
  const dataDir = path.join(os.tmpdir(), `hybrid-auth-examples-${randomUUID()}`);
  let inMemory: Promise<ProcessResult>;
  let postgresRedis: Promise<ProcessResult>;

  before(() => {
    const env = { BCRYPT_COST: "4", DATA_DIR: dataDir };
    const run = (file: string, extra: Record<string, string> = {}) =>
      runNode(["--import", "tsx", path.join("examples", "library", file)], { cwd: REPO_ROOT, env: { ...env, ...extra } });
    inMemory = run("in-memory.ts");
    postgresRedis = run("postgres-redis.ts", { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL });
    // Awaited by their own tests; never an unhandled rejection in between.
    inMemory.catch(() => {});
    postgresRedis.catch(() => {});
  });
  after(async () => {
    await Promise.allSettled([inMemory, postgresRedis]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("in-memory.ts signs a user up and in, and exits 0", async () => {
    const r = await inMemory;
    expect(r.stderr).to.equal("");
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^signed in ada@example\.com; access token valid until \d{4}-\d\d-\d\dT/);
  });

  it("postgres-redis.ts does the same on PostgreSQL + Redis, and exits 0", async function () {
    await requirePostgres(this);
    await requireRedis(this);
    const r = await postgresRedis;
    expect(r.stderr).to.equal("");
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^signed in ada-\d+@example\.com on postgres \+ redis; session [0-9a-f-]{36}\n$/);
  });
});
