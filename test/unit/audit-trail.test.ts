import "reflect-metadata";
import { expect } from "chai";
import type { AuditEntry, AuditLog } from "../../src/application/ports/audit-log.port.js";
import { AuditTrail } from "../../src/application/services/audit-trail.service.js";
import { InMemoryAuditLog } from "../../src/adapters/audit/in-memory-audit.log.js";
import { NodeSecureRandom } from "../../src/adapters/security/node-secure.random.js";
import { ManualClock } from "../support/manual-clock.js";

/** An audit store whose writes take a while, like a busy database. */
class SlowAuditLog implements AuditLog {
  readonly inner = new InMemoryAuditLog();
  async record(entry: AuditEntry) {
    await new Promise((r) => setTimeout(r, 30));
    await this.inner.record(entry);
  }
  listForUser(userId: string, limit: number) {
    return this.inner.listForUser(userId, limit);
  }
  deleteForUser(userId: string) {
    return this.inner.deleteForUser(userId);
  }
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe("AuditTrail", () => {
  it("settled(userId) waits for every entry recorded for that user, so erasing the trail leaves nothing behind", async () => {
    const log = new SlowAuditLog();
    const trail = new AuditTrail(log, new ManualClock(), new NodeSecureRandom(), silent);
    const userId = "44444444-4444-4444-8444-444444444444";
    trail.record("sign-in", userId, null);
    trail.record("password-changed", userId, null);
    expect(await log.listForUser(userId, 10), "writes are still in flight").to.have.length(0);
    await trail.settled(userId);
    expect(await log.listForUser(userId, 10)).to.have.length(2);
    await log.deleteForUser(userId);
    await new Promise((r) => setTimeout(r, 50));
    expect(await log.listForUser(userId, 10)).to.have.length(0);
  });

  it("settled() of a user with nothing pending resolves at once", async () => {
    const trail = new AuditTrail(new InMemoryAuditLog(), new ManualClock(), new NodeSecureRandom(), silent);
    await trail.settled("55555555-5555-4555-8555-555555555555");
  });
});
