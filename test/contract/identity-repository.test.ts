import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { openPostgres } from "../../src/adapters/persistence/drizzle/database.js";
import { DrizzleIdentityRepository } from "../../src/adapters/persistence/drizzle/drizzle-identity.repository.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { InMemoryIdentityRepository } from "../../src/adapters/persistence/in-memory-identity.repository.js";
import { IdentityTakenError, ServiceUnavailableError } from "../../src/domain/errors.js";
import {
  describeEachDatabase,
  expectDatabaseUnavailable,
  UNREACHABLE_DATABASE_URL,
  type DatabaseFixture,
} from "../support/database-fixture.js";
import { identityRepositoryContract, newIdentity } from "./identity-repository.contract.js";
import { newUser } from "./user-repository.contract.js";

const noop = async () => {};

function drizzleFixture(database: DatabaseFixture) {
  return async () => {
    await database.truncateUsers();
    const users = new DrizzleUserRepository(database.db);
    return {
      adapter: new DrizzleIdentityRepository(database.db),
      createUser: async () => (await users.create(newUser())).id,
      cleanup: noop,
    };
  };
}

/** Cases only a database has: the foreign key to users. */
function drizzleOnly(database: DatabaseFixture): void {
  it("goes with its user: erasing the user erases the identities (ON DELETE CASCADE)", async () => {
    const users = new DrizzleUserRepository(database.db);
    const repo = new DrizzleIdentityRepository(database.db);
    const user = await users.create(newUser());
    const identity = await repo.create(newIdentity(user.id, { provider: "github", providerUserId: "cascade-1" }));
    expect(await repo.findByProvider("github", identity.providerUserId)).to.deep.equal(identity);
    await users.delete(user.id);
    expect(await repo.findByProvider("github", identity.providerUserId)).to.equal(null);
  });

  it("refuses an identity for a user that does not exist (not as IdentityTakenError)", async () => {
    const repo = new DrizzleIdentityRepository(database.db);
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

  describeEachDatabase("DrizzleIdentityRepository", (database) => {
    identityRepositoryContract(drizzleFixture(database));
    drizzleOnly(database);
  });

  describe("DrizzleIdentityRepository with the database down", () => {
    it("answers ServiceUnavailableError('database') quickly for every method", async () => {
      const handle = await openPostgres(UNREACHABLE_DATABASE_URL);
      try {
        const repo = new DrizzleIdentityRepository(handle.db);
        const started = Date.now();
        await expectDatabaseUnavailable([
          () => repo.findByProvider("github", "1"),
          () => repo.listByUser(randomUUID()),
          () => repo.create(newIdentity(randomUUID())),
          () => repo.deleteForUser(randomUUID()),
        ]);
        expect(Date.now() - started).to.be.below(4 * 2500);
      } finally {
        await handle.close();
      }
    });
  });
});
