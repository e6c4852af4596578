import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { ClientClosedError, ErrorReply } from "redis";
import { connectRedis, withDeadline } from "../../src/adapters/redis/redis-client.js";
import { InMemorySessionStore } from "../../src/adapters/session-store/in-memory-session.store.js";
import { RedisSessionStore } from "../../src/adapters/session-store/redis-session.store.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import type { Session } from "../../src/domain/session.js";
import { ManualClock } from "../support/manual-clock.js";
import { silentRedisLogger, useRedis, type RedisScope } from "../support/redis-fixture.js";
import { TEST_REDIS_URL } from "../support/services.js";
import { sessionStoreContract } from "./session-store.contract.js";

describe("SessionStore contract", () => {
  describe("InMemorySessionStore", () => {
    sessionStoreContract(async () => {
      const clock = new ManualClock();
      return { adapter: new InMemorySessionStore(clock), clock, cleanup: async () => {} };
    });
  });

  describe("RedisSessionStore", () => {
    const redis = useRedis("sessions");

    sessionStoreContract(async () => {
      const clock = new ManualClock();
      const { client, prefix, cleanup } = redis.scope();
      return { adapter: new RedisSessionStore(client, clock, { prefix }), clock, cleanup };
    });

    describe("Redis specifics", () => {
      let scope: RedisScope;
      let prefix: string;
      let clock: ManualClock;
      let store: RedisSessionStore;

      beforeEach(() => {
        scope = redis.scope();
        prefix = scope.prefix;
        clock = new ManualClock();
        store = new RedisSessionStore(scope.client, clock, { prefix });
      });

      afterEach(() => scope.cleanup());

      function session(idleMs: number): Session {
        const now = clock.now();
        return {
          id: randomUUID(),
          userId: "u1",
          refreshTokenHash: "h-a",
          userAgent: null,
          ip: null,
          createdAt: now,
          lastUsedAt: now,
          expiresAt: new Date(now.getTime() + idleMs),
          absoluteExpiresAt: new Date(now.getTime() + 30 * 24 * 3600_000),
        };
      }

      /** The session's first rotation (h-a → h-b), now, to a new idle expiry `idleMs` ahead. */
      function rotateOnce(sessionId: string, idleMs: number) {
        return store.rotate({
          sessionId,
          presentedHash: "h-a",
          nextHash: "h-b",
          now: clock.now(),
          graceMs: 10_000,
          nextExpiresAt: new Date(clock.now().getTime() + idleMs),
        });
      }

      it("sets the TTL of the session keys at the idle expiry and moves it on rotation", async () => {
        const s = session(10 * 60_000);
        await store.create(s);
        const key = `${prefix}{s:${s.id}}`;
        const ttl = await redis.client.pTTL(key);
        expect(ttl).to.be.within(10 * 60_000 - 5_000, 10 * 60_000);

        clock.advance(60_000);
        await rotateOnce(s.id, 3_600_000);
        expect(await redis.client.pTTL(key)).to.be.within(3_600_000 - 5_000, 3_600_000);
        expect(await redis.client.pTTL(`${key}:old`)).to.be.within(3_600_000 - 5_000, 3_600_000);
      });

      it("keeps rotating after Redis forgets its scripts (a restart or failover): the script is sent again", async () => {
        const s = session(10 * 60_000);
        await store.create(s);
        await redis.client.sendCommand(["SCRIPT", "FLUSH"]);
        const rotated = await rotateOnce(s.id, 3_600_000);
        expect(rotated.status).to.equal("rotated");
        expect((await store.get(s.id))?.refreshTokenHash).to.equal("h-b");
      });

      it("leaves no key without a TTL", async () => {
        const a = session(60_000);
        const b = session(60_000);
        await store.create(a);
        await store.create(b);
        await rotateOnce(a.id, 60_000);
        clock.advance(120_000);
        await store.touch(b.id, clock.now());
        await store.touch("never-created", clock.now());
        await store.listByUser("u1");
        const keys = await redis.keys(prefix);
        expect(keys).to.not.be.empty;
        for (const key of keys) expect(await redis.client.pTTL(key), key).to.be.greaterThan(0);
      });

      it("answers null from the clock's point of view before Redis has evicted the key", async () => {
        const s = session(60_000);
        await store.create(s);
        clock.advance(60_000);
        expect(await redis.client.exists(`${prefix}{s:${s.id}}`)).to.equal(1);
        expect(await store.get(s.id)).to.equal(null);
      });

      it("fails fast with ServiceUnavailableError when Redis is unreachable", async () => {
        const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger });
        try {
          const unreachable = new RedisSessionStore(down, clock, { timeoutMs: 500 });
          const started = Date.now();
          for (const call of [() => unreachable.get("x"), () => unreachable.create(session(60_000)), () => unreachable.ping()]) {
            const err = await call().then(
              () => null,
              (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(ServiceUnavailableError);
            expect((err as ServiceUnavailableError).dependency).to.equal("sessionStore");
          }
          expect(Date.now() - started).to.be.below(1_500);
        } finally {
          down.destroy();
        }
      });

      it("reconnects by itself after the server drops the connection", async () => {
        const errors: object[] = [];
        const own = await connectRedis(TEST_REDIS_URL, { logger: { warn() {}, error: (o) => errors.push(o) } });
        try {
          const ownStore = new RedisSessionStore(own, clock, { prefix });
          const s = session(60_000);
          await ownStore.create(s);
          await redis.client.sendCommand(["CLIENT", "KILL", "ID", String(await own.clientId())]);
          // While it is down a call fails fast as 503, never hangs and never crashes the process.
          const during = await ownStore.get(s.id).catch((e: unknown) => e);
          if (during instanceof Error) expect(during).to.be.instanceOf(ServiceUnavailableError);
          else expect(during).to.deep.equal(s);
          const deadline = Date.now() + 3_000;
          let back: unknown = null;
          while (Date.now() < deadline) {
            back = await ownStore.get(s.id).catch((e: unknown) => e);
            if (back !== null && !(back instanceof Error)) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          expect(back).to.deep.equal(s);
          expect(errors).to.have.length.greaterThan(0);
        } finally {
          await own.quit();
        }
      });

      it("fails with ServiceUnavailableError once its client is closed", async () => {
        const own = await connectRedis(TEST_REDIS_URL, { logger: silentRedisLogger });
        const closedStore = new RedisSessionStore(own, clock, { prefix });
        await own.quit();
        const err = await closedStore.get("x").catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ServiceUnavailableError);
      });
    });
  });
});

describe("withDeadline", () => {
  it("turns a call that never answers into ServiceUnavailableError", async () => {
    const started = Date.now();
    const err = await withDeadline(new Promise(() => {}), 50, "sessionStore").catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).dependency).to.equal("sessionStore");
    expect(Date.now() - started).to.be.below(1_000);
  });

  it("turns connection failures into ServiceUnavailableError", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    for (const cause of [new ClientClosedError(), refused, new ErrorReply("LOADING Redis is loading the dataset in memory")]) {
      const err = await withDeadline(Promise.reject(cause), 1_000, "rateLimiter").catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ServiceUnavailableError);
      expect((err as ServiceUnavailableError).dependency).to.equal("rateLimiter");
    }
  });

  it("passes other errors and values through unchanged", async () => {
    const wrongType = new ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(await withDeadline(Promise.reject(wrongType), 1_000, "sessionStore").catch((e: unknown) => e)).to.equal(wrongType);
    const bug = new TypeError("boom");
    expect(await withDeadline(Promise.reject(bug), 1_000, "sessionStore").catch((e: unknown) => e)).to.equal(bug);
    expect(await withDeadline(Promise.resolve(42), 1_000, "sessionStore")).to.equal(42);
  });
});
