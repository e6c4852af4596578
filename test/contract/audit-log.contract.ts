import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { AuditEntry, AuditLog } from "../../src/application/ports/audit-log.port.js";

export interface AuditLogFixture {
  adapter: AuditLog;
  cleanup: () => Promise<void>;
}

export type AuditLogFactory = () => Promise<AuditLogFixture>;

const T0 = Date.parse("2024-03-01T10:00:00.123Z");

export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    event: "sign-in",
    ip: "203.0.113.9",
    userAgent: "Mozilla/5.0 (contract)",
    occurredAt: new Date(T0),
    details: {},
    ...overrides,
  };
}

/**
 * Registers the AuditLog contract; call inside a `describe` once per adapter. Every test uses
 * fresh user ids, so a shared database needs no truncation and parallel suites do not collide.
 */
export function auditLogContract(factory: AuditLogFactory): void {
  let log: AuditLog;
  let cleanup: () => Promise<void>;
  let users: string[];

  function user(): string {
    const id = randomUUID();
    users.push(id);
    return id;
  }

  beforeEach(async () => {
    users = [];
    ({ adapter: log, cleanup } = await factory());
  });

  afterEach(async () => {
    for (const id of users) await log.deleteForUser(id);
    await cleanup();
  });

  it("records entries and lists a user's trail newest first, every field intact", async () => {
    const alice = user();
    const first = auditEntry({ userId: alice, event: "sign-up", occurredAt: new Date(T0), ip: null, userAgent: null });
    const second = auditEntry({
      userId: alice,
      event: "sign-in",
      occurredAt: new Date(T0 + 1),
      details: { sessionId: randomUUID(), method: "password", nested: { count: 2, flags: [true, false], none: null } },
    });
    const third = auditEntry({ userId: alice, event: "password-changed", occurredAt: new Date(T0 + 60_000), details: { revokedSessions: 3 } });
    // Recorded out of order: the trail is ordered by time, not by arrival.
    for (const e of [second, third, first]) await log.record(e);

    const trail = await log.listForUser(alice, 10);
    expect(trail).to.deep.equal([third, second, first]);
    for (const e of trail) expect(e.occurredAt).to.be.instanceOf(Date);
  });

  it("returns only the newest `limit` entries", async () => {
    const bob = user();
    for (let i = 0; i < 5; i++) await log.record(auditEntry({ userId: bob, occurredAt: new Date(T0 + i * 1000), details: { i } }));
    const newest = await log.listForUser(bob, 2);
    expect(newest.map((e) => e.details.i)).to.deep.equal([4, 3]);
    expect(await log.listForUser(bob, 0)).to.deep.equal([]);
  });

  it("keeps each user's trail apart, and entries without a user in nobody's trail", async () => {
    const [a, b] = [user(), user()];
    await log.record(auditEntry({ userId: a, event: "sign-in" }));
    await log.record(auditEntry({ userId: b, event: "sign-in-failed" }));
    await log.record(auditEntry({ userId: null, event: "account-locked", details: { seconds: 900 } }));

    expect((await log.listForUser(a, 10)).map((e) => e.event)).to.deep.equal(["sign-in"]);
    expect((await log.listForUser(b, 10)).map((e) => e.event)).to.deep.equal(["sign-in-failed"]);
    expect(await log.listForUser(randomUUID(), 10)).to.deep.equal([]);
  });

  it("erases one user's trail, says how many entries went, and leaves the others", async () => {
    const [gone, kept] = [user(), user()];
    for (let i = 0; i < 3; i++) await log.record(auditEntry({ userId: gone, occurredAt: new Date(T0 + i) }));
    const keptEntry = auditEntry({ userId: kept, event: "account-reactivated" });
    await log.record(keptEntry);

    expect(await log.deleteForUser(gone)).to.equal(3);
    expect(await log.listForUser(gone, 10)).to.deep.equal([]);
    expect(await log.listForUser(kept, 10)).to.deep.equal([keptEntry]);
    // Erasing again, or a user who never had a trail, is not an error.
    expect(await log.deleteForUser(gone)).to.equal(0);
    expect(await log.deleteForUser(randomUUID())).to.equal(0);

    // A new trail for the same id starts empty.
    const later = auditEntry({ userId: gone, event: "sign-up" });
    await log.record(later);
    expect(await log.listForUser(gone, 10)).to.deep.equal([later]);
  });

  it("hands out copies: mutating what was recorded or listed does not change the trail", async () => {
    const carol = user();
    const entry = auditEntry({ userId: carol, details: { sessionId: "s-1", tags: ["a"] } });
    await log.record(entry);
    const expected = structuredClone(entry);
    entry.details.sessionId = "mutated";
    (entry.details.tags as string[]).push("b");
    entry.occurredAt.setTime(0);

    const [listed] = await log.listForUser(carol, 1);
    expect(listed).to.deep.equal(expected);
    listed!.details.sessionId = "mutated again";
    listed!.occurredAt.setTime(0);
    expect(await log.listForUser(carol, 1)).to.deep.equal([expected]);
  });
}
