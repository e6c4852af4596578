/**
 * 7. Redis Cluster: a local three-master cluster from the installed redis-server. The store
 * contract suites run unchanged against node-redis' cluster client (every script and
 * transaction stays in one slot, or the cluster would refuse it with CROSSSLOT), the keys of
 * one session / user / code share a hash tag, and two server processes configured with
 * REDIS_CLUSTER_NODES pass the scale-out suite.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { RedisAttemptCounter } from "../../src/adapters/attempt-counter/redis-attempt.counter.js";
import { RedisOneTimeCodeStore } from "../../src/adapters/one-time-code/redis-one-time-code.store.js";
import { connectRedisCluster, type RedisClusterConnection } from "../../src/adapters/redis/redis-client.js";
import { RedisSessionStore } from "../../src/adapters/session-store/redis-session.store.js";
import { EMAIL_LOCKOUT_POLICY } from "../../src/domain/lockout.policy.js";
import { attemptCounterContract } from "../contract/attempt-counter.contract.js";
import { oneTimeCodeStoreContract } from "../contract/one-time-code-store.contract.js";
import { sessionStoreContract } from "../contract/session-store.contract.js";
import { ManualClock } from "../support/manual-clock.js";
import { requirePostgres, requireRedis } from "../support/services.js";
import { redisServerAvailable } from "./support/processes.js";
import { startCluster, type LocalCluster } from "./support/redis-cluster.js";
import { scaleOutSuite } from "./support/scale-out.suite.js";
import { countRequests, groupAs, note, skipProperty } from "./support/summary.js";

const silent = { warn() {}, error() {} };

/** Counts every store call for the summary table. */
function counted<T extends object>(adapter: T): T {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        countRequests();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function keysUnder(cluster: RedisClusterConnection, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const master of cluster.masters) {
    const node = await cluster.nodeClient(master);
    for await (const batch of node.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
  }
  return keys;
}

async function deleteKeys(cluster: RedisClusterConnection, prefix: string): Promise<void> {
  // One DEL per key: a multi-key DEL across slots is exactly what a cluster refuses.
  for (const key of await keysUnder(cluster, prefix)) await cluster.del(key);
}

describe("Redis Cluster (three masters)", function () {
  let cluster: LocalCluster | undefined;
  let client: RedisClusterConnection | undefined;
  const runPrefix = `rel:cluster:${randomUUID().slice(0, 8)}:`;
  let n = 0;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    if (!redisServerAvailable()) {
      skipProperty("Redis Cluster", "redis-server is not installed");
      this.skip();
    }
    cluster = await startCluster();
    client = await connectRedisCluster(cluster.seeds.split(",").map((s) => `redis://${s}`), { logger: silent });
    expect(client.isReady, "cluster client connected").to.equal(true);
    expect(client.masters).to.have.length(3);
  });

  after(async () => {
    if (client) await client.close().catch(() => client!.destroy());
    await cluster?.stop();
  });

  describe("SessionStore contract on the cluster", function () {
    groupAs(this, "Redis Cluster: SessionStore contract suite");
    sessionStoreContract(async () => {
      const clock = new ManualClock();
      const prefix = `${runPrefix}${++n}:`;
      return { adapter: counted(new RedisSessionStore(client!, clock, { prefix })), clock, cleanup: () => deleteKeys(client!, prefix) };
    });
  });

  describe("OneTimeCodeStore contract on the cluster", function () {
    groupAs(this, "Redis Cluster: OneTimeCodeStore contract suite");
    oneTimeCodeStoreContract(async () => {
      const clock = new ManualClock();
      const prefix = `${runPrefix}${++n}:`;
      return { adapter: counted(new RedisOneTimeCodeStore(client!, clock, { prefix })), clock, cleanup: () => deleteKeys(client!, prefix) };
    });
  });

  describe("AttemptCounter contract on the cluster", function () {
    groupAs(this, "Redis Cluster: AttemptCounter contract suite");
    attemptCounterContract(async () => {
      const prefix = `${runPrefix}${++n}:`;
      return { adapter: counted(new RedisAttemptCounter(client!, { prefix })), clock: new ManualClock(), cleanup: () => deleteKeys(client!, prefix) };
    });
  });

  it("the keys of one session, one user, one code and one counter each share a slot", async function () {
    const prefix = `${runPrefix}tags:`;
    const clock = new ManualClock();
    const sessions = counted(new RedisSessionStore(client!, clock, { prefix }));
    const codes = counted(new RedisOneTimeCodeStore(client!, clock, { prefix }));
    const attempts = counted(new RedisAttemptCounter(client!, { prefix }));
    const now = clock.now();
    const userId = randomUUID();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) {
      await sessions.create({
        id,
        userId,
        refreshTokenHash: "h-0",
        userAgent: null,
        ip: null,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        absoluteExpiresAt: new Date(now.getTime() + 86_400_000),
      });
      await sessions.rotate({ sessionId: id, presentedHash: "h-0", nextHash: "h-1", now, graceMs: 10_000, nextExpiresAt: new Date(now.getTime() + 3_600_000) });
    }
    await codes.issue({ purpose: "verify-email", subject: "ada@example.com", codeHash: "c", now, ttlSeconds: 600, cooldownSeconds: 60, hourlyCap: 5 });
    await codes.consume({ purpose: "verify-email", subject: "ada@example.com", codeHash: "wrong", now, maxAttempts: 5 });
    for (let i = 0; i < EMAIL_LOCKOUT_POLICY.threshold + 1; i++) {
      if ((await attempts.reserve("email:ada@example.com", EMAIL_LOCKOUT_POLICY, now)).allowed) await attempts.settleFailure("email:ada@example.com");
    }
    expect(await sessions.revokeAllForUser(userId)).to.equal(3);
    await sessions.create({
      id: ids[0]!,
      userId,
      refreshTokenHash: "h-2",
      userAgent: null,
      ip: null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + 3_600_000),
      absoluteExpiresAt: new Date(now.getTime() + 86_400_000),
    });

    const keys = await keysUnder(client!, prefix);
    const byTag = new Map<string, Set<number>>();
    const node = await client!.nodeClient(client!.masters[0]!);
    for (const key of keys) {
      const tag = /\{([^}]+)\}/.exec(key)?.[1];
      expect(tag, `${key} has a hash tag`).to.be.a("string");
      const slot = Number(await node.sendCommand(["CLUSTER", "KEYSLOT", key]));
      byTag.set(tag!, (byTag.get(tag!) ?? new Set()).add(slot));
    }
    for (const [tag, slots] of byTag) expect([...slots], tag).to.have.length(1);
    const usedSlots = new Set([...byTag.values()].flatMap((s) => [...s]));
    note(this, `${keys.length} keys in ${byTag.size} hash tags, one slot each, spread over ${usedSlots.size} slots`);
    await deleteKeys(client!, prefix);
  });

  scaleOutSuite("two instances on the cluster (REDIS_CLUSTER_NODES)", () => ({ REDIS_URL: "", REDIS_CLUSTER_NODES: cluster!.seeds }));
});
