import { createHash } from "node:crypto";
import { createClient, createCluster, ErrorReply, type RedisClientType, type RedisClusterType } from "redis";
import { ServiceUnavailableError } from "../../domain/errors.js";

/** A client for one Redis server (or a primary behind Sentinel/a proxy). */
export type RedisConnection = RedisClientType;
/** node-redis' Redis Cluster client: routes each command to the master of its key's slot. */
export type RedisClusterConnection = RedisClusterType;
/**
 * What the stores take: either client. Every multi-key script and transaction in them names
 * keys that share one hash tag (one slot), so the same store code runs on both; commands
 * spanning slots are never sent.
 */
export type RedisHandle = RedisConnection | RedisClusterConnection;

export interface RedisLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ConnectRedisOptions {
  logger?: RedisLogger;
  /** Per connection attempt; a black-holed host must not stall start-up or a reconnect. */
  connectTimeoutMs?: number;
}

const MAX_BACKOFF_MS = 5_000;
/**
 * Every call the adapters make carries its own deadline (withDeadline, 1.5 s in the app), so the
 * client's per-command timeout (5 s by default, an AbortSignal.timeout per command: about 5 % of
 * the CPU of an authenticated request) is turned off. Commands a frozen server never answers
 * stay queued until the socket closes; the queue bound keeps that from growing without limit
 * (past it, calls fail at once and answer 503).
 */
const COMMAND_OPTIONS = { timeout: 0 } as const;
const COMMANDS_QUEUE_MAX_LENGTH = 100_000;
/** During an outage the client errors on every retry; repeat the log line at most this often. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;

const fallbackLogger: RedisLogger = {
  warn: (obj, msg) => console.warn(msg ?? "redis", obj),
  error: (obj, msg) => console.error(msg ?? "redis", obj),
};

function describeError(err: unknown): object {
  if (!(err instanceof Error)) return { err: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return { err: { name: err.constructor.name, message: err.message, ...(code ? { code } : {}) } };
}

/**
 * Connects and keeps reconnecting forever with capped exponential backoff. Resolves once the
 * client is ready or the first attempt has failed: when Redis is down at start-up the service
 * still starts, answers 503 for what needs Redis (commands fail fast, there is no offline queue
 * to pile up in), and recovers by itself when Redis comes back.
 */
export async function connectRedis(url: string, opts: ConnectRedisOptions = {}): Promise<RedisConnection> {
  const logger = opts.logger ?? fallbackLogger;
  const connectTimeout = opts.connectTimeoutMs ?? 2_000;
  const client: RedisConnection = createClient({
    url,
    // Queued commands would wait for a reconnect that may take minutes; fail now, answer 503.
    disableOfflineQueue: true,
    commandOptions: COMMAND_OPTIONS,
    commandsQueueMaxLength: COMMANDS_QUEUE_MAX_LENGTH,
    socket: {
      connectTimeout,
      // Never give up (returning false would close the client for good); jitter spreads the
      // reconnect storm of many instances.
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 10), MAX_BACKOFF_MS) + Math.floor(Math.random() * 100),
    },
  });

  let down = false;
  let lastLogAt = 0;
  let suppressed = 0;
  // Without an 'error' listener an EventEmitter throws, which would crash the process.
  client.on("error", (err: unknown) => {
    const now = Date.now();
    if (!down) {
      down = true;
      lastLogAt = now;
      suppressed = 0;
      logger.error(describeError(err), "redis connection error; reconnecting");
    } else if (now - lastLogAt >= OUTAGE_LOG_INTERVAL_MS) {
      lastLogAt = now;
      logger.warn({ ...describeError(err), failuresSinceLastLog: suppressed + 1 }, "redis still unreachable; reconnecting");
      suppressed = 0;
    } else {
      suppressed++;
    }
  });
  client.on("ready", () => {
    if (down) logger.warn({}, "redis connection restored");
    down = false;
  });

  await new Promise<void>((resolve) => {
    const settle = () => {
      client.off("ready", settle);
      client.off("error", settle);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(settle, connectTimeout + 500);
    client.once("ready", settle);
    client.once("error", settle);
    client.connect().catch((err: unknown) => {
      // Only reached when the client is closed while connecting; nothing to retry then.
      logger.warn(describeError(err), "redis connect aborted");
      settle();
    });
  });
  if (!client.isReady) logger.warn({ url: redactUrl(url) }, "redis not reachable at start-up; retrying in the background");
  return client;
}

/**
 * The Redis Cluster twin of connectRedis: `nodes` are seed URLs (`redis://host:port`, or
 * `rediss://user:pass@host:port`; credentials and TLS of the first apply to every node the
 * client discovers). Same policies: commands fail fast while a node is unreachable (no offline
 * queue), node connections reconnect forever with capped backoff, and when no seed answers at
 * start-up the service still starts and keeps retrying the discovery in the background.
 */
export async function connectRedisCluster(nodes: string[], opts: ConnectRedisOptions = {}): Promise<RedisClusterConnection> {
  if (nodes.length === 0) throw new Error("connectRedisCluster needs at least one seed node");
  const logger = opts.logger ?? fallbackLogger;
  const connectTimeout = opts.connectTimeoutMs ?? 2_000;
  const first = new URL(nodes[0]!);
  const cluster: RedisClusterConnection = createCluster({
    rootNodes: nodes.map((url) => ({ url })),
    commandOptions: COMMAND_OPTIONS,
    defaults: {
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      disableOfflineQueue: true,
      commandsQueueMaxLength: COMMANDS_QUEUE_MAX_LENGTH,
      socket: {
        connectTimeout,
        ...(first.protocol === "rediss:" ? { tls: true as const } : {}),
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** Math.min(retries, 10), MAX_BACKOFF_MS) + Math.floor(Math.random() * 100),
      },
    },
  });

  let down = false;
  let lastLogAt = 0;
  const onError = (err: unknown) => {
    const now = Date.now();
    if (!down || now - lastLogAt >= OUTAGE_LOG_INTERVAL_MS) {
      lastLogAt = now;
      logger.error(describeError(err), down ? "redis cluster still unreachable; reconnecting" : "redis cluster error; reconnecting");
    }
    down = true;
  };
  // Unhandled 'error' events would crash the process.
  cluster.on("error", onError);
  cluster.on("node-error", onError);
  cluster.on("node-ready", () => {
    if (down) logger.warn({}, "redis cluster node connection restored");
    down = false;
  });

  let closed = false;
  const discover = async (attempt: number): Promise<void> => {
    if (closed) return;
    try {
      await cluster.connect();
    } catch (err) {
      if (closed) return;
      onError(err);
      const delay = Math.min(200 * 2 ** Math.min(attempt, 5), MAX_BACKOFF_MS);
      setTimeout(() => void discover(attempt + 1), delay).unref();
      throw err;
    }
  };
  const originalDestroy = cluster.destroy.bind(cluster);
  cluster.destroy = () => {
    closed = true;
    originalDestroy();
  };
  const originalClose = cluster.close.bind(cluster);
  cluster.close = async () => {
    closed = true;
    if (cluster.isOpen) await originalClose();
  };

  await Promise.race([
    discover(0).catch(() => logger.warn({ nodes: nodes.map(redactUrl) }, "redis cluster not reachable at start-up; retrying in the background")),
    new Promise((resolve) => setTimeout(resolve, connectTimeout + 500).unref()),
  ]);
  return cluster;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable url)";
  }
}

const CONNECTION_ERROR_NAMES = new Set([
  "ClientClosedError",
  "ClientOfflineError",
  "SocketClosedUnexpectedlyError",
  "ConnectionTimeoutError",
  "SocketTimeoutError",
  "ReconnectStrategyError",
  "DisconnectsClientError",
  "TimeoutError",
  "SocketTimeoutDuringMaintenanceError",
  "CommandTimeoutDuringMaintenanceError",
  "RootNodesUnavailableError",
]);

const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Server replies that mean "not serving right now", not "your command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

export function isRedisUnavailableError(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  if (CONNECTION_ERROR_NAMES.has(err.constructor.name)) return true;
  if (err instanceof ErrorReply) return UNAVAILABLE_REPLY.test(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) return true;
  if (err.message === "The queue is full") return true;
  return err.cause !== undefined && err.cause !== err && isRedisUnavailableError(err.cause, depth + 1);
}

/**
 * A command by its raw reply, for the calls requests make (the session's fields and the user's
 * cache stamp on every authenticated request, the scripts of rate limits, attempt counters and
 * refresh rotation). node-redis' typed methods (hmGet, get, evalSha) put each call through their
 * command transformers; sendCommand skips them: 5.0 → 3.5 µs of client CPU per HMGET + GET pair
 * against a local Redis, and 45 → 43 µs of server CPU per `GET /profile`. Replies are the same
 * on RESP2. A cluster client is given the first key (the command goes to its slot, as the typed
 * methods would send it) and whether the command only reads.
 */
export function sendRaw<T>(redis: RedisHandle, firstKey: string | undefined, args: string[], readonly: boolean): Promise<T> {
  return "masters" in redis ? redis.sendCommand<T>(firstKey, readonly, args) : redis.sendCommand<T>(args);
}

/**
 * Bounds one store call: a timeout or an unreachable Redis becomes ServiceUnavailableError
 * (→ 503), anything else (a script bug, a WRONGTYPE reply) propagates unchanged so it is
 * logged as the 500 it is.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, dependency: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ServiceUnavailableError(dependency)), ms);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (err instanceof ServiceUnavailableError) reject(err);
        else reject(isRedisUnavailableError(err) ? new ServiceUnavailableError(dependency) : err);
      },
    );
  });
}

/**
 * A Lua script run by EVALSHA, falling back to EVAL (which also caches it) after a restart
 * or failover flushed the script cache. Scripts must name every key in KEYS and keep them
 * in one hash slot: a cluster client routes the call by the first key, and each node keeps
 * its own script cache (hence the per-call NOSCRIPT fallback).
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: RedisHandle, keys: string[], args: Array<string | number>): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await sendRaw(redis, keys[0], ["EVALSHA", this.sha, ...rest], false);
    } catch (err) {
      if (err instanceof ErrorReply && err.message.startsWith("NOSCRIPT")) return await sendRaw(redis, keys[0], ["EVAL", this.source, ...rest], false);
      throw err;
    }
  }
}
