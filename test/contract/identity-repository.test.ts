import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import {
  openPglite,
  openPostgres,
  runMigrations,
  type DatabaseHandle,
} from "../../src/adapters/persistence/drizzle/database.js";
import { DrizzleIdentityRepository } from "../../src/adapters/persistence/drizzle/drizzle-identity.repository.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { InMemoryIdentityRepository } from "../../src/adapters/persistence/in-memory-identity.repository.js";
import { IdentityTakenError, ServiceUnavailableError } from "../../src/domain/errors.js";
import { requirePostgres, TEST_DATABASE_URL } from "../support/services.js";
import { identityRepositoryContract, newIdentity } from "./identity-repository.contract.js";
import { newUser } from "./user-repository.contract.js";

const noop = async () => {};

function drizzleFixture(handle: () => DatabaseHandle) {
  return async () => {
    await handle().db.execute(sql`truncate table users cascade`);
    const users = new DrizzleUserRepository(handle().db);
    return {
      adapter: new DrizzleIdentityRepository(handle().db),
      createUser: async () => (await users.create(newUser())).id,
      cleanup: noop,
    };
  };
}

/** Cases only a database has: the foreign key to users. */
function drizzleOnly(handle: () => DatabaseHandle): void {
  it("goes with its user: erasing the user erases the identities (ON DELETE CASCADE)", async () => {
    const users = new DrizzleUserRepository(handle().db);
    const repo = new DrizzleIdentityRepository(handle().db);
    const user = await users.create(newUser());
    const identity = await repo.create(newIdentity(user.id, { provider: "github", providerUserId: "cascade-1" }));
    expect(await repo.findByProvider("github", identity.providerUserId)).to.deep.equal(identity);
    await users.delete(user.id);
    expect(await repo.findByProvider("github", identity.providerUserId)).to.equal(null);
  });

  it("refuses an identity for a user that does not exist (not as IdentityTakenError)", async () => {
    const repo = new DrizzleIdentityRepository(handle().db);
    const err = await repo.create(newIdentity(randomUUID())).then(
      () => expect.fail("expected a rejection"),
      (e: unknown) => e,
    );
    expect(err).to.not.be.instanceOf(IdentityTakenError);
    expect(err).to.not.be.instanceOf(ServiceUnavailableError);
  });
}

describe("IdentityRepository contract", () => {
  describe("InMemoryIdentityRepository", () => {
    identityRepositoryContract(async () => ({
      adapter: new InMemoryIdentityRepository(),
      createUser: async () => randomUUID(),
      cleanup: noop,
    }));
  });

  describe("DrizzleIdentityRepository on PGlite (in memory)", () => {
    let handle: DatabaseHandle;

    before(async () => {
      handle = await openPglite(null);
      await runMigrations(handle);
    });

    after(async () => {
      await handle?.close();
    });

    identityRepositoryContract(drizzleFixture(() => handle));
    drizzleOnly(() => handle);
  });

  describe("DrizzleIdentityRepository on PostgreSQL", () => {
    let handle: DatabaseHandle | undefined;

    before(async function () {
      await requirePostgres(this);
      handle = await openPostgres(TEST_DATABASE_URL, { max: 4 });
      await runMigrations(handle);
    });

    after(async () => {
      await handle?.close();
    });

    identityRepositoryContract(drizzleFixture(() => handle!));
    drizzleOnly(() => handle!);
  });

  describe("DrizzleIdentityRepository with the database down", () => {
    it("answers ServiceUnavailableError('database') quickly for every method", async () => {
      // Port 1 refuses connections, like a database that is down.
      const handle = await openPostgres("postgres://postgres@127.0.0.1:1/nowhere");
      try {
        const repo = new DrizzleIdentityRepository(handle.db);
        const started = Date.now();
        for (const call of [
          () => repo.findByProvider("github", "1"),
          () => repo.listByUser(randomUUID()),
          () => repo.create(newIdentity(randomUUID())),
          () => repo.deleteForUser(randomUUID()),
        ]) {
          const err = await call().then(
            () => expect.fail("expected a rejection"),
            (e: unknown) => e,
          );
          expect(err).to.be.instanceOf(ServiceUnavailableError).and.have.property("dependency", "database");
        }
        expect(Date.now() - started).to.be.below(4 * 2500);
      } finally {
        await handle.close();
      }
    });
  });
});
