import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import pg from "pg";
import { sql } from "drizzle-orm";
import { DataDirInUseError, openPglite, openPostgres, runMigrations } from "../../src/adapters/persistence/drizzle/database.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { InMemoryUserRepository } from "../../src/adapters/persistence/in-memory-user.repository.js";
import { describeEachDatabase, expectDatabaseUnavailable, UNREACHABLE_DATABASE_URL } from "../support/database-fixture.js";
import { requirePostgres, TEST_DATABASE_URL } from "../support/services.js";
import { newUser, userRepositoryContract } from "./user-repository.contract.js";

const noop = async () => {};

describe("UserRepository contract", () => {
  describe("InMemoryUserRepository", () => {
    userRepositoryContract(async () => ({ adapter: new InMemoryUserRepository(), cleanup: noop }));
  });

  describeEachDatabase("DrizzleUserRepository", (database) => {
    userRepositoryContract(async () => {
      await database.truncateUsers();
      return { adapter: new DrizzleUserRepository(database.db), cleanup: noop };
    });
  });
});

describe("Drizzle database handles", () => {
  it("keeps PGlite data across closing and reopening the data directory", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hybrid-auth-pglite-"));
    try {
      const user = newUser({ avatar: { url: "https://img.example/x.png", key: "x" } });

      const first = await openPglite(path.join(dir, "db"));
      await runMigrations(first);
      const firstRepo = new DrizzleUserRepository(first.db);
      const created = await firstRepo.create(user);
      await first.close();

      // A closed database is a dependency that is down, not a programming error.
      await expectDatabaseUnavailable([() => firstRepo.findById(user.id), () => firstRepo.ping(), () => first.ping()]);

      const second = await openPglite(path.join(dir, "db"));
      try {
        // Start-up migrates every time; on an existing directory that must be a no-op.
        await runMigrations(second);
        expect(await new DrizzleUserRepository(second.db).findById(user.id)).to.deep.equal(created);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a second open of a PGlite directory while it is open, and takes over a lock left by a dead process", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hybrid-auth-pglite-lock-"));
    const dataDir = path.join(dir, "db");
    try {
      const first = await openPglite(dataDir);
      const err = await openPglite(dataDir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DataDirInUseError);
      expect((err as Error).message).to.include(String(process.pid)).and.include("DATABASE_URL");
      await first.close();

      // A lock whose owner no longer runs (a crash, a SIGKILL) does not block the next start.
      const gone = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
      await writeFile(`${dataDir}.lock`, String(gone));
      const second = await openPglite(dataDir);
      expect(await readFile(`${dataDir}.lock`, "utf8")).to.equal(String(process.pid));
      await second.close();
      expect(existsSync(`${dataDir}.lock`), "closing releases the lock").to.equal(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("turns an unreachable PostgreSQL into ServiceUnavailableError quickly", async () => {
    const handle = await openPostgres(UNREACHABLE_DATABASE_URL);
    try {
      const repo = new DrizzleUserRepository(handle.db);
      const started = Date.now();
      await expectDatabaseUnavailable([() => repo.findByEmail("a@example.com"), () => repo.create(newUser()), () => handle.ping()]);
      expect(Date.now() - started).to.be.below(3 * 2500);
    } finally {
      await handle.close();
    }
  });

  describe("on PostgreSQL", () => {
    const dbName = `hybrid_auth_migrate_${process.pid}_${Date.now()}`;
    let admin: pg.Client | undefined;

    before(async function () {
      await requirePostgres(this);
      admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`create database "${dbName}"`);
    });

    after(async () => {
      if (!admin) return;
      await admin.query(`drop database if exists "${dbName}" with (force)`);
      await admin.end();
    });

    it("survives the server dropping a pooled connection and reconnects", async () => {
      let dropped!: () => void;
      const droppedEvent = new Promise<void>((resolve) => (dropped = resolve));
      const handle = await openPostgres(TEST_DATABASE_URL, { max: 1, onError: () => dropped() });
      try {
        const pid = rowsOf(await handle.db.execute(sql`select pg_backend_pid() as pid`))[0]?.pid;
        await admin!.query("select pg_terminate_backend($1)", [pid]);
        // Unhandled, this pool 'error' event would crash the process (and fail the run).
        await droppedEvent;

        await handle.ping();
        const repo = new DrizzleUserRepository(handle.db);
        expect(await repo.findById(randomUUID())).to.equal(null);
      } finally {
        await handle.close();
      }
    });

    it("migrates once when several instances run migrations concurrently", async () => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${dbName}`;
      const handles = await Promise.all([1, 2, 3, 4].map(() => openPostgres(url.toString(), { max: 1 })));
      try {
        await Promise.all(handles.map((h) => runMigrations(h)));

        const [h] = handles;
        const applied = await h!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
        const journal = await import("../../drizzle/meta/_journal.json", { with: { type: "json" } });
        expect(rowsOf(applied)[0]?.n).to.equal(journal.default.entries.length);

        const repo = new DrizzleUserRepository(h!.db);
        const user = await repo.create(newUser());
        expect(await repo.findById(user.id)).to.deep.equal(user);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    });
  });
});

/** node-postgres returns a QueryResult with `rows`; PGlite's result has the same field. */
function rowsOf(result: unknown): Array<Record<string, unknown>> {
  return (result as { rows: Array<Record<string, unknown>> }).rows;
}
