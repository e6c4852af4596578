import { fileURLToPath } from "node:url";
import path from "node:path";
import { mkdir } from "node:fs/promises";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { DrizzleQueryError, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { ServiceUnavailableError } from "../../../domain/errors.js";

/**
 * The one database type repositories depend on. Both `NodePgDatabase` and `PgliteDatabase`
 * extend it, so the same repository code runs on either driver. No relational schema is
 * attached: repositories use the query builder with the table objects directly.
 */
export type Database = PgDatabase<PgQueryResultHKT>;

export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
  /** Resolves on a round-trip; rejects with ServiceUnavailableError("database") otherwise. */
  ping(): Promise<void>;
}

export interface OpenPostgresOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Called for errors on idle pooled connections (e.g. the server restarted). */
  onError?: (err: Error) => void;
}

const CONNECT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 5_000;
// Arbitrary but fixed: every instance of this service must contend for the same lock.
const MIGRATION_LOCK_KEY = 7_263_911_004;

/** Resolved from this file, not from the cwd, so `npm start` works from any directory. */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../../drizzle", import.meta.url));

type Internals = { kind: "postgres"; url: string } | { kind: "pglite"; client: PGlite };
const internals = new WeakMap<DatabaseHandle, Internals>();

export async function openPostgres(url: string, opts: OpenPostgresOptions = {}): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, that kills the
  // process. The next query gets a fresh connection (or a ServiceUnavailableError).
  pool.on("error", (err) => opts.onError?.(err));

  const db: Database = drizzleNodePg({ client: pool });
  let closed: Promise<void> | undefined;
  const handle: DatabaseHandle = {
    db,
    kind: "postgres",
    close: () => (closed ??= pool.end()),
    ping: () => ping(db),
  };
  internals.set(handle, { kind: "postgres", url });
  return handle;
}

/** `dataDir` null keeps everything in memory (tests); otherwise data survives restarts. */
export async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  let client: PGlite;
  let release = () => {};
  if (dataDir === null) {
    client = new PGlite();
  } else {
    const dir = path.resolve(dataDir);
    await mkdir(dir, { recursive: true });
    release = lockDataDir(dir);
    try {
      client = new PGlite(dir);
    } catch (err) {
      release();
      throw err;
    }
  }
  try {
    await client.waitReady;
  } catch (err) {
    release();
    throw err;
  }

  const db: Database = drizzlePglite({ client });
  let closed: Promise<void> | undefined;
  const handle: DatabaseHandle = {
    db,
    kind: "pglite",
    close: () => (closed ??= (client.closed ? Promise.resolve() : client.close()).finally(release)),
    ping: () => ping(db),
  };
  internals.set(handle, { kind: "pglite", client });
  return handle;
}

/** Raised when another live process has the embedded database's directory open. */
export class DataDirInUseError extends Error {}

/**
 * PGlite is PostgreSQL in this process with no lock of its own: two processes on one directory
 * (a second `npm start`, the CLI next to a running server) would both write and corrupt it. A
 * lock file next to the directory names the owner; one left by a process that died is taken over.
 * Returns the release, also run if the process exits without closing.
 */
function lockDataDir(dir: string): () => void {
  const lockPath = `${dir}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const owner = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DataDirInUseError(
          `the embedded database in ${dir} is in use by process ${owner}${owner === process.pid ? " (this one)" : ""}: stop it first, or set DATABASE_URL so several processes share a PostgreSQL`,
        );
      }
      unlinkSync(lockPath); // left by a process that is gone
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    try {
      if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
    } catch {}
  };
  process.on("exit", release);
  return release;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function ping(db: Database): Promise<void> {
  try {
    await db.execute(sql`select 1`);
  } catch {
    throw new ServiceUnavailableError("database");
  }
}

export interface RunMigrationsOptions {
  migrationsFolder?: string;
}

/**
 * Applies the drizzle-kit migrations that are not yet applied. On PostgreSQL several instances
 * may start at once, so the run is serialised with a session-level advisory lock: the first
 * applies, the others wait and then find nothing to do.
 */
export async function runMigrations(handle: DatabaseHandle, opts: RunMigrationsOptions = {}): Promise<void> {
  const migrationsFolder = opts.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER;
  const inner = internals.get(handle);
  if (!inner) throw new Error("runMigrations needs a handle from openPostgres or openPglite");

  if (inner.kind === "pglite") {
    // PGlite is a single connection owned by this process, so there is nothing to race with.
    await migratePglite(drizzlePglite({ client: inner.client }), { migrationsFolder });
    return;
  }

  // A dedicated connection: the advisory lock is per session, and waiting for another
  // instance's migration must not be cut short by the pool's per-query timeout.
  const client = new pg.Client({ connectionString: inner.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on("error", () => {
    // The pending query rejects with the same failure; this only keeps the process alive.
  });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migrateNodePg(drizzleNodePg({ client }), { migrationsFolder });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {
        // Ending the session below releases the lock anyway.
      });
    }
  } finally {
    await client.end().catch(() => {});
  }
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "57014", // query_canceled: our statement_timeout fired
  "53300", // too_many_connections
]);

const CONNECTION_ERROR_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /query read timeout/i,
  /connection error and is not queryable/i,
  /client was closed/i,
  /cannot use a pool after calling end/i,
  /pglite is closed/i,
];

/**
 * True when `err` (or anything in its cause chain, since drizzle wraps driver errors in
 * DrizzleQueryError) means the database could not be reached or did not answer in time, as
 * opposed to the statement itself being rejected.
 */
export function isConnectionError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08"))) return true;
    if (CONNECTION_ERROR_MESSAGES.some((re) => re.test(e instanceof Error ? e.message : ""))) return true;
    if (e instanceof AggregateError && e.errors.some(isConnectionError)) return true;
  }
  return false;
}

/** The driver's PostgreSQL error (code, constraint) under drizzle's DrizzleQueryError wrapper. */
export function pgErrorOf(err: unknown): { code?: string; constraint?: string } | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (typeof code === "string") {
      return { code, ...(typeof constraint === "string" ? { constraint } : {}) };
    }
  }
  return undefined;
}

const UNIQUE_VIOLATION = "23505";

/** A unique index whose violation the caller reports as a domain error (an email taken, ...). */
export interface UniqueViolation {
  index: string;
  error: () => Error;
}

/**
 * How the Drizzle adapters run a query: a violation of `unique.index` becomes `unique.error()`,
 * an unreachable or unanswering database ServiceUnavailableError("database"), and anything else
 * the driver's error without DrizzleQueryError around it, whose message embeds the bound
 * parameters (password hashes, emails, IPs, user agents) and would copy user data into logs.
 */
export function queryRunner(unique?: UniqueViolation): <T>(query: () => PromiseLike<T>) => Promise<T> {
  return async (query) => {
    try {
      return await query();
    } catch (err) {
      throw translateError(err, unique);
    }
  };
}

function translateError(err: unknown, unique: UniqueViolation | undefined): unknown {
  const pgErr = pgErrorOf(err);
  // PGlite reports the same SQLSTATE and constraint name as node-postgres.
  if (unique && pgErr?.code === UNIQUE_VIOLATION && (pgErr.constraint === undefined || pgErr.constraint === unique.index)) {
    return unique.error();
  }
  if (isConnectionError(err)) return new ServiceUnavailableError("database");
  return err instanceof DrizzleQueryError && err.cause ? err.cause : err;
}
