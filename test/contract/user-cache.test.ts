import { expect } from "chai";
import type { UserChanges, UserRepository } from "../../src/application/ports/user-repository.port.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { InMemoryUserRepository } from "../../src/adapters/persistence/in-memory-user.repository.js";
import { connectRedis } from "../../src/adapters/redis/redis-client.js";
import { CachingUserRepository } from "../../src/adapters/user-cache/caching-user.repository.js";
import { InMemoryUserCacheStamps } from "../../src/adapters/user-cache/in-memory-user-cache.stamps.js";
import { RedisUserCacheStamps } from "../../src/adapters/user-cache/redis-user-cache.stamps.js";
import type { UserCacheStamps } from "../../src/adapters/user-cache/user-cache.stamps.js";
import { useDatabase } from "../support/database-fixture.js";
import { ManualClock } from "../support/manual-clock.js";
import { silentRedisLogger, useRedis } from "../support/redis-fixture.js";
import { newUser, userRepositoryContract } from "./user-repository.contract.js";

const OPTIONS = { maxEntries: 1000, maxAgeSeconds: 30 };

/** Records warnings; the cache reports a stamp it could not retire at warn level. */
class RecordingLogger {
  readonly warnings: string[] = [];
  info() {}
  debug() {}
  error() {}
  warn(_obj: object, msg?: string) {
    this.warnings.push(msg ?? "");
  }
}

/** Counts the reads that reach the wrapped repository, and can hold one read until released. */
class CountingRepository implements UserRepository {
  findByIdCalls = 0;
  #hold: { reached: () => void; release: Promise<void> } | null = null;

  constructor(readonly inner: UserRepository) {}

  /** The next findById reads the row, then waits for `release` before answering. */
  holdNextRead(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    this.#hold = { reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: reachedP, release };
  }

  async findById(id: string) {
    this.findByIdCalls++;
    const row = await this.inner.findById(id);
    const hold = this.#hold;
    if (hold) {
      this.#hold = null;
      hold.reached();
      await hold.release;
    }
    return row;
  }
  findByEmail(email: string) {
    return this.inner.findByEmail(email);
  }
  create(...args: Parameters<UserRepository["create"]>) {
    return this.inner.create(...args);
  }
  update(id: string, changes: UserChanges) {
    return this.inner.update(id, changes);
  }
  delete(id: string) {
    return this.inner.delete(id);
  }
  listPurgeable(now: Date, limit: number) {
    return this.inner.listPurgeable(now, limit);
  }
  ping() {
    return this.inner.ping();
  }
}

/** Stamps that fail like an unreachable Redis. */
const downStamps: UserCacheStamps = {
  current: () => Promise.reject(new (class extends Error {})("not the kind of error the cache forgives")),
  invalidate: () => Promise.resolve(),
};

describe("UserRepository contract: CachingUserRepository", () => {
  describe("over InMemoryUserRepository, stamps in memory", () => {
    userRepositoryContract(async () => ({
      adapter: new CachingUserRepository(new InMemoryUserRepository(), new InMemoryUserCacheStamps(), new ManualClock(), new RecordingLogger(), OPTIONS),
      cleanup: async () => {},
    }));
  });

  describe("over PostgreSQL, stamps in Redis", () => {
    const database = useDatabase("postgres");
    const redis = useRedis("user-cache-contract");
    userRepositoryContract(async () => {
      await database.truncateUsers();
      const { client, prefix, cleanup } = redis.scope();
      const adapter = new CachingUserRepository(new DrizzleUserRepository(database.db), new RedisUserCacheStamps(client, { prefix }), new ManualClock(), new RecordingLogger(), OPTIONS);
      return { adapter, cleanup };
    });
  });
});

function stampsContract(make: () => Promise<{ stamps: UserCacheStamps; cleanup: () => Promise<void> }>) {
  let stamps: UserCacheStamps;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ stamps, cleanup } = await make()));
  afterEach(async () => cleanup());

  it("keeps one stamp per user until it is retired, then hands out a new one", async () => {
    const a = await stamps.current("user-a");
    expect(await stamps.current("user-a")).to.equal(a);
    const b = await stamps.current("user-b");
    expect(b).to.not.equal(a);
    await stamps.invalidate("user-a");
    const a2 = await stamps.current("user-a");
    expect(a2).to.not.equal(a);
    expect(await stamps.current("user-a")).to.equal(a2);
    expect(await stamps.current("user-b"), "another user's stamp is untouched").to.equal(b);
    await stamps.invalidate("user-never-seen");
  });

  it("agrees on one stamp when many readers ask at once", async () => {
    const seen = await Promise.all(Array.from({ length: 20 }, () => stamps.current("user-c")));
    expect(new Set(seen).size).to.equal(1);
  });
}

describe("UserCacheStamps", () => {
  describe("InMemoryUserCacheStamps", () => {
    stampsContract(async () => ({ stamps: new InMemoryUserCacheStamps(), cleanup: async () => {} }));
  });

  describe("RedisUserCacheStamps", () => {
    const redis = useRedis("user-cache-stamps");
    stampsContract(async () => {
      const { client, prefix, cleanup } = redis.scope();
      return { stamps: new RedisUserCacheStamps(client, { prefix }), cleanup };
    });

    it("answers ServiceUnavailableError within its deadline when Redis is unreachable", async () => {
      const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger });
      try {
        const stamps = new RedisUserCacheStamps(down, { timeoutMs: 300 });
        const err = await stamps.current("x").then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.have.property("code", "SERVICE_UNAVAILABLE");
      } finally {
        down.destroy();
      }
    });
  });
});

describe("CachingUserRepository", () => {
  describe("two instances on one PostgreSQL and one Redis", () => {
    const database = useDatabase("postgres");
    const redis = useRedis("user-cache-instances");
    let a: CachingUserRepository;
    let b: CachingUserRepository;
    let bDatabase: CountingRepository;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      await database.truncateUsers();
      const scope = redis.scope();
      cleanup = scope.cleanup;
      const stamps = () => new RedisUserCacheStamps(scope.client, { prefix: scope.prefix });
      a = new CachingUserRepository(new DrizzleUserRepository(database.db), stamps(), new ManualClock(), new RecordingLogger(), OPTIONS);
      bDatabase = new CountingRepository(new DrizzleUserRepository(database.db));
      b = new CachingUserRepository(bDatabase, stamps(), new ManualClock(), new RecordingLogger(), OPTIONS);
    });
    afterEach(async () => cleanup());

    it("serves repeated reads from memory, and a write through one instance is seen by the other at once", async () => {
      const user = await a.create(newUser({ name: "Before" }));
      expect((await b.findById(user.id))?.name).to.equal("Before");
      expect((await b.findById(user.id))?.name).to.equal("Before");
      expect(bDatabase.findByIdCalls, "the second read came from memory").to.equal(1);

      await a.update(user.id, { name: "After" });
      expect((await b.findById(user.id))?.name).to.equal("After");
      expect(bDatabase.findByIdCalls).to.equal(2);

      await a.update(user.id, { deactivatedAt: new Date("2030-01-02T00:00:00.000Z") });
      expect((await b.findById(user.id))?.deactivatedAt?.toISOString()).to.equal("2030-01-02T00:00:00.000Z");

      expect(await a.delete(user.id)).to.equal(true);
      expect(await b.findById(user.id)).to.equal(null);
    });

    it("a read that fetched the row before a write committed does not keep serving it after the write", async () => {
      const user = await a.create(newUser({ name: "Old" }));
      // b takes the stamp and reads the old row; the write commits and returns before b caches it.
      const held = bDatabase.holdNextRead();
      const slowRead = b.findById(user.id);
      await held.reached;
      await a.update(user.id, { name: "New" });
      held.release();
      expect((await slowRead)?.name, "the read started before the write: either answer is fair").to.equal("Old");
      expect((await b.findById(user.id))?.name).to.equal("New");
    });

    it("hands out copies: changing a returned user changes nothing cached", async () => {
      const user = await a.create(newUser({ avatar: { url: "https://img.example/a.png", key: "a" } }));
      const first = (await b.findById(user.id))!;
      first.name = "Mallory";
      first.avatar!.url = "https://evil.example/x.png";
      first.createdAt.setFullYear(1999);
      const second = (await b.findById(user.id))!;
      expect(second).to.deep.equal(user);
      expect(bDatabase.findByIdCalls).to.equal(1);
    });
  });

  describe("bounds", () => {
    let db: InMemoryUserRepository;
    let counting: CountingRepository;
    let clock: ManualClock;
    let logger: RecordingLogger;
    beforeEach(() => {
      db = new InMemoryUserRepository();
      counting = new CountingRepository(db);
      clock = new ManualClock();
      logger = new RecordingLogger();
    });

    it("serves a row changed behind its back (SQL by hand) for at most maxAgeSeconds", async () => {
      const cache = new CachingUserRepository(counting, new InMemoryUserCacheStamps(), clock, logger, OPTIONS);
      const user = await db.create(newUser({ name: "Before" }));
      await cache.findById(user.id);
      await db.update(user.id, { name: "Behind its back" });
      clock.advance(29_000);
      expect((await cache.findById(user.id))?.name).to.equal("Before");
      clock.advance(1_000);
      expect((await cache.findById(user.id))?.name).to.equal("Behind its back");
    });

    it("keeps at most maxEntries users", async () => {
      const cache = new CachingUserRepository(counting, new InMemoryUserCacheStamps(), clock, logger, { ...OPTIONS, maxEntries: 2 });
      const users = await Promise.all([1, 2, 3].map(() => db.create(newUser())));
      for (const u of users) await cache.findById(u.id);
      await cache.findById(users[0]!.id);
      expect(counting.findByIdCalls, "the first user was dropped to make room for the third").to.equal(4);
    });

    it("reads the database uncached while the stamps are unreachable, and still reports writes as done", async () => {
      const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger });
      try {
        const cache = new CachingUserRepository(counting, new RedisUserCacheStamps(down, { timeoutMs: 200 }), clock, logger, OPTIONS);
        const user = await db.create(newUser({ name: "Before" }));
        expect((await cache.findById(user.id))?.name).to.equal("Before");
        expect((await cache.update(user.id, { name: "After" }))?.name).to.equal("After");
        expect((await cache.findById(user.id))?.name).to.equal("After");
        expect(counting.findByIdCalls).to.equal(2);
        expect(logger.warnings.join("\n")).to.match(/could not retire the stamp/);
      } finally {
        down.destroy();
      }
    });

    it("lets errors that are not an unreachable store through", async () => {
      const cache = new CachingUserRepository(counting, downStamps, clock, logger, OPTIONS);
      const err = await cache.findById("x").then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error).with.property("message", "not the kind of error the cache forgives");
    });
  });
});
