import { expect } from "chai";
import { DrizzleAuditLog } from "../../src/adapters/audit/drizzle-audit.log.js";
import { InMemoryAuditLog } from "../../src/adapters/audit/in-memory-audit.log.js";
import { openPglite, openPostgres, runMigrations, type DatabaseHandle } from "../../src/adapters/persistence/drizzle/database.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { requirePostgres, TEST_DATABASE_URL } from "../support/services.js";
import { auditEntry, auditLogContract } from "./audit-log.contract.js";

const noop = async () => {};

describe("AuditLog contract", () => {
  describe("InMemoryAuditLog", () => {
    auditLogContract(async () => ({ adapter: new InMemoryAuditLog(), cleanup: noop }));
  });

  describe("DrizzleAuditLog on PGlite (in memory)", () => {
    let handle: DatabaseHandle;

    before(async () => {
      handle = await openPglite(null);
      await runMigrations(handle);
    });

    after(async () => {
      await handle?.close();
    });

    auditLogContract(async () => ({ adapter: new DrizzleAuditLog(handle.db), cleanup: noop }));
  });

  describe("DrizzleAuditLog on PostgreSQL", () => {
    let handle: DatabaseHandle | undefined;

    before(async function () {
      await requirePostgres(this);
      handle = await openPostgres(TEST_DATABASE_URL, { max: 4 });
      await runMigrations(handle);
    });

    after(async () => {
      await handle?.close();
    });

    auditLogContract(async () => ({ adapter: new DrizzleAuditLog(handle!.db), cleanup: noop }));
  });
});

describe("DrizzleAuditLog failures", () => {
  it("reports a closed or unreachable database as ServiceUnavailableError, quickly", async () => {
    const closed = await openPglite(null);
    await runMigrations(closed);
    await closed.close();
    const unreachable = await openPostgres("postgres://postgres@127.0.0.1:1/nowhere");
    try {
      const started = Date.now();
      for (const log of [new DrizzleAuditLog(closed.db), new DrizzleAuditLog(unreachable.db)]) {
        for (const call of [() => log.record(auditEntry()), () => log.listForUser(auditEntry().userId!, 5), () => log.deleteForUser(auditEntry().userId!)]) {
          const err = await call().then(
            () => expect.fail("expected a rejection"),
            (e: unknown) => e,
          );
          expect(err).to.be.instanceOf(ServiceUnavailableError).and.have.property("dependency", "database");
        }
      }
      expect(Date.now() - started).to.be.below(3 * 2500);
    } finally {
      await unreachable.close();
    }
  });
});
