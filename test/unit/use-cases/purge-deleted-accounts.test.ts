import "reflect-metadata";
import { expect } from "chai";
import type { AuditEntry } from "../../../src/application/ports/audit-log.port.js";
import { TOKENS } from "../../../src/application/tokens.js";
import { PurgeDeletedAccounts } from "../../../src/application/use-cases/purge-deleted-accounts.use-case.js";
import { deactivation } from "../../../src/domain/account-deletion.policy.js";
import type { User } from "../../../src/domain/user.entity.js";
import { FakeAvatarStorage } from "../../support/fake-avatar.storage.js";
import { buildUseCases, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";
const DAY = 24 * 3600_000;

describe("PurgeDeletedAccounts", () => {
  let h: UseCaseHarness;
  let avatars: FakeAvatarStorage;
  let purge: PurgeDeletedAccounts;
  let n: number;

  beforeEach(() => {
    h = buildUseCases();
    avatars = new FakeAvatarStorage();
    h.container.register(TOKENS.AvatarStorage, { useValue: avatars });
    purge = h.container.resolve(PurgeDeletedAccounts);
    n = 0;
  });

  /**
   * A signed-up account with an avatar, a session and an audit trail, soft-deleted `daysAgo`
   * days ago with a 30-day window.
   */
  async function deletedAccount(daysAgo: number): Promise<User & { sessionId: string }> {
    const email = `user${++n}@example.com`;
    const { user, session } = await h.registerAndSignIn(email, PASSWORD);
    const avatar = avatars.seed(`avatars/${user.id}`);
    const when = new Date(h.clock.now().getTime() - daysAgo * DAY);
    const updated = await h.users.update(user.id, { avatar, ...deactivation(when, 30) });
    await h.flushBackground();
    return { ...updated!, sessionId: session.id };
  }

  async function tombstones(): Promise<AuditEntry[]> {
    await h.flushBackground();
    // Entries without a user: the in-memory log lists them under null.
    return (h.auditLog.listForUser as (id: string | null, limit: number) => Promise<AuditEntry[]>).call(h.auditLog, null, 1000);
  }

  async function isErased(user: User & { sessionId: string }): Promise<boolean> {
    return (
      (await h.users.findById(user.id)) === null &&
      (await h.sessions.get(user.sessionId)) === null &&
      !avatars.has(user.avatar!.key) &&
      (await h.auditLog.listForUser(user.id, 10)).length === 0
    );
  }

  it("erases accounts whose window has closed (purgeAfter <= now) and no others", async () => {
    const overdue = await deletedAccount(31);
    const dueNow = await deletedAccount(30);
    const inside = await deletedAccount(29);
    const active = await h.registerAndSignIn("active@example.com", PASSWORD);
    expect(await h.auditLog.listForUser(overdue.id, 10)).to.not.be.empty;

    const out = await purge.execute({ limit: 100 });
    expect(out).to.deep.equal({ examined: 2, purged: 2, alreadyGone: 0, failed: 0 });
    expect(await isErased(overdue)).to.equal(true);
    expect(await isErased(dueNow)).to.equal(true);
    expect(await h.users.findById(inside.id)).to.not.equal(null);
    expect(avatars.has(inside.avatar!.key)).to.equal(true);
    expect(await h.users.findById(active.user.id)).to.not.equal(null);
    expect((await tombstones()).map((e) => [e.event, e.details.userId])).to.have.deep.members([
      ["account-purged", overdue.id],
      ["account-purged", dueNow.id],
    ]);

    // One millisecond before its window closes the third is still kept; at the edge it goes.
    h.clock.set(new Date(inside.purgeAfter!.getTime() - 1));
    expect((await purge.execute({ limit: 100 })).examined).to.equal(0);
    h.clock.set(inside.purgeAfter!);
    expect((await purge.execute({ limit: 100 })).purged).to.equal(1);
    expect(await isErased(inside)).to.equal(true);
  });

  it("purges at most `limit` accounts per run, the longest overdue first", async () => {
    const accounts = [await deletedAccount(40), await deletedAccount(35), await deletedAccount(32)];
    expect(await purge.execute({ limit: 2 })).to.deep.equal({ examined: 2, purged: 2, alreadyGone: 0, failed: 0 });
    expect(await h.users.findById(accounts[2]!.id)).to.not.equal(null);
    expect(await h.users.findById(accounts[0]!.id)).to.equal(null);
    expect((await purge.execute({ limit: 2 })).purged).to.equal(1);
  });

  it("takes the time it is given", async () => {
    const account = await deletedAccount(10);
    expect((await purge.execute({ limit: 10 })).examined).to.equal(0);
    expect((await purge.execute({ limit: 10, now: new Date(h.clock.now().getTime() + 20 * DAY) })).purged).to.equal(1);
    expect(await isErased(account)).to.equal(true);
  });

  it("two runs at once on the same store purge each account exactly once", async () => {
    const accounts: Array<User & { sessionId: string }> = [];
    for (let i = 0; i < 12; i++) accounts.push(await deletedAccount(31 + i));
    const second = h.container.resolve(PurgeDeletedAccounts);

    const [a, b] = await Promise.all([purge.execute({ limit: 100 }), second.execute({ limit: 100 })]);
    expect(a.failed + b.failed).to.equal(0);
    expect(a.purged + b.purged).to.equal(accounts.length);
    expect(a.alreadyGone + b.alreadyGone).to.equal(a.examined + b.examined - accounts.length);
    for (const account of accounts) expect(await isErased(account), account.email).to.equal(true);

    const purged = (await tombstones()).filter((e) => e.event === "account-purged").map((e) => e.details.userId);
    expect(purged).to.have.length(accounts.length);
    expect(new Set(purged)).to.deep.equal(new Set(accounts.map((u) => u.id)));
  });

  it("leaves an account it could not finish for the next run and carries on with the others", async () => {
    const stuck = await deletedAccount(33);
    const fine = await deletedAccount(32);
    avatars.failRemove = new Set([stuck.avatar!.key]);

    expect(await purge.execute({ limit: 10 })).to.deep.equal({ examined: 2, purged: 1, alreadyGone: 0, failed: 1 });
    expect(await isErased(fine)).to.equal(true);
    expect(await h.users.findById(stuck.id)).to.not.equal(null);
    expect(h.logger.text()).to.include("purge of a deleted account failed");

    avatars.failRemove = false;
    expect(await purge.execute({ limit: 10 })).to.deep.equal({ examined: 1, purged: 1, alreadyGone: 0, failed: 0 });
    expect(await isErased(stuck)).to.equal(true);
  });

  it("a purged address can sign up again", async () => {
    const account = await deletedAccount(31);
    await purge.execute({ limit: 10 });
    h.clock.advance(2 * 60_000);
    const again = await h.registerVerifiedUser(account.email, "another good password");
    expect(again.id).to.not.equal(account.id);
    await h.signIn.execute({ email: account.email, password: "another good password", meta: TEST_META });
  });
});
