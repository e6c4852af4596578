import { expect } from "chai";
import { DrizzleAuditLog } from "../../src/adapters/audit/drizzle-audit.log.js";
import { InMemoryAuditLog } from "../../src/adapters/audit/in-memory-audit.log.js";
import { openPglite, openPostgres, runMigrations } from "../../src/adapters/persistence/drizzle/database.js";
import { describeEachDatabase, expectDatabaseUnavailable, UNREACHABLE_DATABASE_URL } from "../support/database-fixture.js";
import { auditEntry, auditLogContract } from "./audit-log.contract.js";

const noop = async () => {};

describe("AuditLog contract", () => {
  describe("InMemoryAuditLog", () => {
    auditLogContract(async () => ({ adapter: new InMemoryAuditLog(), cleanup: noop }));
  });

  describeEachDatabase("DrizzleAuditLog", (database) => {
    auditLogContract(async () => ({ adapter: new DrizzleAuditLog(database.db), cleanup: noop }));
  });
});

describe("DrizzleAuditLog failures", () => {
  it("reports a closed or unreachable database as ServiceUnavailableError, quickly", async () => {
    const closed = await openPglite(null);
    await runMigrations(closed);
    await closed.close();
    const unreachable = await openPostgres(UNREACHABLE_DATABASE_URL);
    try {
      const started = Date.now();
      for (const log of [new DrizzleAuditLog(closed.db), new DrizzleAuditLog(unreachable.db)]) {
        await expectDatabaseUnavailable([
          () => log.record(auditEntry()),
          () => log.listForUser(auditEntry().userId!, 5),
          () => log.deleteForUser(auditEntry().userId!),
        ]);
      }
      expect(Date.now() - started).to.be.below(3 * 2500);
    } finally {
      await unreachable.close();
    }
  });
});
