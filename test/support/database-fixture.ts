/**
 * Migrated databases for describe blocks of Drizzle adapter tests: PGlite in memory, and the test
 * PostgreSQL (TEST_DATABASE_URL), which the block requires (skipped outside CI when absent).
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import {
  openPglite,
  openPostgres,
  runMigrations,
  type Database,
  type DatabaseHandle,
} from "../../src/adapters/persistence/drizzle/database.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { requirePostgres, TEST_DATABASE_URL } from "./services.js";

/** Port 1 refuses connections, like a database that is down. */
export const UNREACHABLE_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nowhere";

export type DatabaseKind = "pglite" | "postgres";

const TITLES: Record<DatabaseKind, string> = { pglite: "PGlite (in memory)", postgres: "PostgreSQL" };

export interface DatabaseFixture {
  /** Opened and migrated in the block's `before` hook, closed in its `after` hook. */
  readonly handle: DatabaseHandle;
  readonly db: Database;
  /** Empties users and the tables that reference them (CASCADE: identities). */
  truncateUsers(): Promise<void>;
}

/** Call inside a describe block: the block gets its own migrated database of that kind. */
export function useDatabase(kind: DatabaseKind): DatabaseFixture {
  let handle: DatabaseHandle | undefined;

  before(async function () {
    if (kind === "postgres") await requirePostgres(this);
    handle = kind === "postgres" ? await openPostgres(TEST_DATABASE_URL, { max: 4 }) : await openPglite(null);
    await runMigrations(handle);
  });

  after(async () => {
    await handle?.close();
  });

  const fixture: DatabaseFixture = {
    get handle() {
      if (!handle) throw new Error("the database fixture is used outside the describe block that declared it");
      return handle;
    },
    get db() {
      return fixture.handle.db;
    },
    async truncateUsers() {
      await fixture.db.execute(sql`truncate table users cascade`);
    },
  };
  return fixture;
}

/** `describe("<subject> on PGlite (in memory)")` and `describe("<subject> on PostgreSQL")`, each with its database. */
export function describeEachDatabase(subject: string, body: (database: DatabaseFixture) => void): void {
  for (const kind of ["pglite", "postgres"] as const) {
    describe(`${subject} on ${TITLES[kind]}`, () => body(useDatabase(kind)));
  }
}

/** Each call must reject with ServiceUnavailableError("database"): how a down or closed database answers. */
export async function expectDatabaseUnavailable(calls: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  for (const call of calls) {
    const err = await call().then(
      () => expect.fail("expected a rejection"),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ServiceUnavailableError).and.have.property("dependency", "database");
  }
}
