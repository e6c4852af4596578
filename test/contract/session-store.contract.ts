import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { RotateRefreshInput, RotateRefreshResult, SessionStore } from "../../src/application/ports/session-store.port.js";
import type { Session } from "../../src/domain/session.js";
import type { ManualClock } from "../support/manual-clock.js";

export interface SessionStoreFixture {
  adapter: SessionStore;
  /** The clock the adapter reads; tests move it to expire sessions. */
  clock: ManualClock;
  cleanup: () => Promise<void>;
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const GRACE_MS = 10_000;

export function sessionStoreContract(factory: () => Promise<SessionStoreFixture>): void {
  let store: SessionStore;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: store, clock, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  function newSession(overrides: Partial<Session> = {}): Session {
    const now = clock.now();
    return {
      id: randomUUID(),
      userId: "user-1",
      refreshTokenHash: `h-${randomUUID()}`,
      userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
      ip: "203.0.113.7",
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + 7 * DAY),
      absoluteExpiresAt: new Date(now.getTime() + 30 * DAY),
      ...overrides,
    };
  }

  async function created(overrides: Partial<Session> = {}): Promise<Session> {
    const session = newSession(overrides);
    await store.create(session);
    return session;
  }

  function rotation(session: Session, presentedHash: string, nextHash: string): RotateRefreshInput {
    const now = clock.now();
    return {
      sessionId: session.id,
      presentedHash,
      nextHash,
      now,
      graceMs: GRACE_MS,
      nextExpiresAt: new Date(Math.min(now.getTime() + 7 * DAY, session.absoluteExpiresAt.getTime())),
    };
  }

  function expectRotated(result: RotateRefreshResult): Session {
    if (result.status !== "rotated") throw new Error(`expected rotated, got ${JSON.stringify(result)}`);
    return result.session;
  }

  describe("create, get, list", () => {
    it("returns what was stored, with dates and nulls intact", async () => {
      const session = await created({ userAgent: null, ip: null });
      expect(await store.get(session.id)).to.deep.equal(session);
      const withEmpty = await created({ userAgent: "", ip: "::1" });
      expect(await store.get(withEmpty.id)).to.deep.equal(withEmpty);
    });

    it("hands out copies: changing a returned or stored object does not change the store", async () => {
      const session = await created();
      const hashAtCreation = session.refreshTokenHash;
      session.refreshTokenHash = "mutated-after-create";
      const read = await store.get(session.id);
      read!.refreshTokenHash = "mutated-after-read";
      read!.expiresAt.setTime(0);
      const again = await store.get(session.id);
      expect(again?.refreshTokenHash).to.equal(hashAtCreation);
      expect(again?.expiresAt.getTime()).to.be.greaterThan(clock.now().getTime());
    });

    it("returns null for an unknown id", async () => {
      expect(await store.get(randomUUID())).to.equal(null);
    });

    it("lists only the user's live sessions, oldest first", async () => {
      const first = await created();
      clock.advance(MIN);
      const shortLived = await created({ expiresAt: new Date(clock.now().getTime() + 5 * MIN) });
      clock.advance(MIN);
      const third = await created();
      await created({ userId: "user-2" });

      expect((await store.listByUser("user-1")).map((s) => s.id)).to.deep.equal([first.id, shortLived.id, third.id]);
      clock.advance(5 * MIN);
      const listed = await store.listByUser("user-1");
      expect(listed.map((s) => s.id)).to.deep.equal([first.id, third.id]);
      expect(listed[0]).to.deep.equal(first);
      expect(await store.listByUser("nobody")).to.deep.equal([]);
    });

    it("expires a session when the clock passes its idle expiry", async () => {
      const session = await created({ expiresAt: new Date(clock.now().getTime() + 10 * MIN) });
      clock.advance(10 * MIN - 1);
      expect(await store.get(session.id)).to.not.equal(null);
      clock.advance(1);
      expect(await store.get(session.id)).to.equal(null);
      expect(await store.listByUser(session.userId)).to.deep.equal([]);
    });

    it("expires a session at its absolute expiry even if the idle expiry is later", async () => {
      const now = clock.now().getTime();
      const session = await created({ expiresAt: new Date(now + 7 * DAY), absoluteExpiresAt: new Date(now + DAY) });
      clock.advance(DAY);
      expect(await store.get(session.id)).to.equal(null);
      expect(await store.listByUser(session.userId)).to.deep.equal([]);
    });
  });

  describe("rotate", () => {
    it("replaces the current hash and moves the idle expiry and lastUsedAt", async () => {
      const session = await created();
      clock.advance(MIN);
      const input = rotation(session, session.refreshTokenHash, "h-next");
      const rotated = expectRotated(await store.rotate(input));
      const expected = { ...session, refreshTokenHash: "h-next", lastUsedAt: input.now, expiresAt: input.nextExpiresAt };
      expect(rotated).to.deep.equal(expected);
      expect(await store.get(session.id)).to.deep.equal(expected);
    });

    it("accepts the previous token inside the grace window only when it derives the same successor", async () => {
      const session = await created();
      expectRotated(await store.rotate(rotation(session, session.refreshTokenHash, "h-b")));
      clock.advance(GRACE_MS);
      const again = expectRotated(await store.rotate(rotation(session, session.refreshTokenHash, "h-b")));
      expect(again.refreshTokenHash).to.equal("h-b");
      expect((await store.get(session.id))?.refreshTokenHash).to.equal("h-b");
    });

    it("treats the previous token after the grace window as theft and ends the session", async () => {
      const session = await created();
      await created({ userId: session.userId });
      expectRotated(await store.rotate(rotation(session, session.refreshTokenHash, "h-b")));
      clock.advance(GRACE_MS + 1);
      const result = await store.rotate(rotation(session, session.refreshTokenHash, "h-b"));
      expect(result).to.deep.equal({ status: "reused", userId: session.userId });
      expect(await store.get(session.id)).to.equal(null);
      expect((await store.listByUser(session.userId)).map((s) => s.id)).to.not.include(session.id);
      // The successor dies with the session.
      expect(await store.rotate(rotation(session, "h-b", "h-c"))).to.deep.equal({ status: "invalid" });
    });

    it("treats the previous token with a different successor as theft, even inside the grace window", async () => {
      const session = await created();
      expectRotated(await store.rotate(rotation(session, session.refreshTokenHash, "h-b")));
      const result = await store.rotate(rotation(session, session.refreshTokenHash, "h-other"));
      expect(result).to.deep.equal({ status: "reused", userId: session.userId });
      expect(await store.get(session.id)).to.equal(null);
    });

    it("A→B→C: B inside the grace window is a race, A after the grace window kills the session", async () => {
      const session = await created();
      const a = session.refreshTokenHash;
      expectRotated(await store.rotate(rotation(session, a, "h-b")));
      clock.advance(MIN);
      expectRotated(await store.rotate(rotation(session, "h-b", "h-c")));
      const raced = expectRotated(await store.rotate(rotation(session, "h-b", "h-c")));
      expect(raced.refreshTokenHash).to.equal("h-c");

      const result = await store.rotate(rotation(session, a, "h-b"));
      expect(result).to.deep.equal({ status: "reused", userId: session.userId });
      expect(await store.get(session.id)).to.equal(null);
      expect(await store.rotate(rotation(session, "h-c", "h-d"))).to.deep.equal({ status: "invalid" });
    });

    it("answers invalid and changes nothing for an unknown hash or session", async () => {
      const session = await created();
      expect(await store.rotate(rotation(session, "h-never-issued", "h-x"))).to.deep.equal({ status: "invalid" });
      expect(await store.rotate({ ...rotation(session, session.refreshTokenHash, "h-x"), sessionId: randomUUID() })).to.deep.equal({
        status: "invalid",
      });
      expect(await store.get(session.id)).to.deep.equal(session);
      // The real token still rotates: the failed attempts did not burn it.
      expectRotated(await store.rotate(rotation(session, session.refreshTokenHash, "h-x")));
    });

    it("answers invalid for an expired session even with its current token", async () => {
      const session = await created({ expiresAt: new Date(clock.now().getTime() + MIN) });
      clock.advance(MIN);
      expect(await store.rotate(rotation(session, session.refreshTokenHash, "h-x"))).to.deep.equal({ status: "invalid" });
    });

    it("20 parallel rotations with the same token all get the same successor", async () => {
      const session = await created();
      const input = rotation(session, session.refreshTokenHash, "h-next");
      const results = await Promise.all(Array.from({ length: 20 }, () => store.rotate(input)));
      for (const result of results) expect(expectRotated(result).refreshTokenHash).to.equal("h-next");
      expect((await store.get(session.id))?.refreshTokenHash).to.equal("h-next");
      // Exactly one current token: the successor rotates, the presented one no longer does.
      clock.advance(GRACE_MS + 1);
      expectRotated(await store.rotate(rotation(session, "h-next", "h-after")));
    });

    it("20 parallel rotations with different successors leave at most one valid successor", async () => {
      const session = await created();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.rotate(rotation(session, session.refreshTokenHash, `h-next-${i}`))),
      );
      const rotated = results.filter((r) => r.status === "rotated");
      expect(rotated).to.have.length(1);
      for (const r of results) expect(r.status).to.be.oneOf(["rotated", "reused", "invalid"]);
      const winner = expectRotated(rotated[0]!).refreshTokenHash;
      const after = await store.get(session.id);
      if (after !== null) expect(after.refreshTokenHash).to.equal(winner);
      const losers = results.filter((r) => r.status === "reused");
      if (losers.length > 0) expect(after).to.equal(null);
    });
  });

  describe("revoke", () => {
    it("removes one session and says whether a live one was removed", async () => {
      const session = await created();
      const other = await created();
      expect(await store.revoke(session.id)).to.equal(true);
      expect(await store.get(session.id)).to.equal(null);
      expect((await store.listByUser(session.userId)).map((s) => s.id)).to.deep.equal([other.id]);
      expect(await store.revoke(session.id)).to.equal(false);
      expect(await store.revoke(randomUUID())).to.equal(false);
      expect(await store.rotate(rotation(session, session.refreshTokenHash, "h-x"))).to.deep.equal({ status: "invalid" });
    });

    it("revokes every session of a user except the given one, and no one else's", async () => {
      const keep = await created();
      await created();
      await created();
      const stranger = await created({ userId: "user-2" });

      expect(await store.revokeAllForUser("user-1", keep.id)).to.equal(2);
      expect((await store.listByUser("user-1")).map((s) => s.id)).to.deep.equal([keep.id]);
      expect(await store.get(keep.id)).to.deep.equal(keep);
      expect(await store.get(stranger.id)).to.deep.equal(stranger);

      expect(await store.revokeAllForUser("user-1")).to.equal(1);
      expect(await store.get(keep.id)).to.equal(null);
      expect(await store.listByUser("user-1")).to.deep.equal([]);
      expect(await store.revokeAllForUser("user-1")).to.equal(0);
      expect(await store.revokeAllForUser("nobody")).to.equal(0);
      expect((await store.listByUser("user-2")).map((s) => s.id)).to.deep.equal([stranger.id]);
    });

    it("revokes them all when a user has more sessions than are removed in one go (1,200)", async () => {
      const all = await Promise.all(Array.from({ length: 1_200 }, () => created()));
      const keep = all[700]!;
      expect(await store.revokeAllForUser("user-1", keep.id)).to.equal(1_199);
      expect((await store.listByUser("user-1")).map((s) => s.id)).to.deep.equal([keep.id]);
      expect(await store.get(all[0]!.id)).to.equal(null);
      expect(await store.get(all[1_199]!.id)).to.equal(null);
    });

    it("does not count sessions that had already expired", async () => {
      await created({ expiresAt: new Date(clock.now().getTime() + MIN) });
      await created();
      clock.advance(MIN);
      expect(await store.revokeAllForUser("user-1")).to.equal(1);
    });
  });

  describe("check", () => {
    it("names the live session's user and last use, and null once it is revoked, expired or unknown", async () => {
      const session = await created();
      expect(await store.check(session.id)).to.deep.equal({ id: session.id, userId: "user-1", lastUsedAt: session.lastUsedAt });
      expect(await store.check(randomUUID())).to.equal(null);

      clock.advance(2 * MIN);
      await store.touch(session.id, clock.now());
      expect((await store.check(session.id))?.lastUsedAt.getTime()).to.equal(clock.now().getTime());

      expect(await store.revoke(session.id)).to.equal(true);
      expect(await store.check(session.id)).to.equal(null);
    });

    it("agrees with get on expiry: idle and absolute limits, to the millisecond", async () => {
      const now = clock.now().getTime();
      const idle = await created({ expiresAt: new Date(now + 10 * MIN) });
      const absolute = await created({ expiresAt: new Date(now + 7 * DAY), absoluteExpiresAt: new Date(now + 20 * MIN) });
      clock.advance(10 * MIN - 1);
      expect(await store.check(idle.id)).to.not.equal(null);
      clock.advance(1);
      expect(await store.check(idle.id)).to.equal(null);
      expect(await store.get(idle.id)).to.equal(null);
      clock.advance(10 * MIN);
      expect(await store.check(absolute.id)).to.equal(null);
      expect(await store.get(absolute.id)).to.equal(null);
    });
  });

  describe("touch", () => {
    it("moves lastUsedAt, at most once a minute", async () => {
      const session = await created();
      clock.advance(30_000);
      await store.touch(session.id, clock.now());
      expect((await store.get(session.id))?.lastUsedAt).to.deep.equal(session.lastUsedAt);
      clock.advance(31_000);
      const now = clock.now();
      await store.touch(session.id, now);
      const touched = await store.get(session.id);
      expect(touched?.lastUsedAt).to.deep.equal(now);
      expect(touched?.expiresAt).to.deep.equal(session.expiresAt);
    });

    it("does not bring back a revoked session", async () => {
      const session = await created();
      await store.revoke(session.id);
      clock.advance(2 * MIN);
      await store.touch(session.id, clock.now());
      expect(await store.get(session.id)).to.equal(null);
      expect(await store.listByUser(session.userId)).to.deep.equal([]);
    });
  });

  it("answers ping", async () => {
    await store.ping();
  });
}
