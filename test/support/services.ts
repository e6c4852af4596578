/**
 * Where the real PostgreSQL and Redis for tests live. Real-adapter suites call these in a
 * `before` hook: outside CI a missing service skips the suite with a visible reason; in CI
 * (CI=true) it fails, because CI must exercise the real adapters.
 */
import net from "node:net";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/hybrid_auth_test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/15";

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const skipped = new Set<string>();

async function requireService(ctx: Mocha.Context, name: string, url: string, port: number): Promise<void> {
  if (await reachable(url, port)) return;
  if (process.env.CI === "true") throw new Error(`${name} is not reachable at ${url}; CI must run the real adapters`);
  if (!skipped.has(name)) {
    skipped.add(name);
    console.warn(`  [skip] ${name} not reachable at ${url}: real-adapter tests skipped (set TEST_${name.toUpperCase()}_URL)`);
  }
  ctx.skip();
}

export function requirePostgres(ctx: Mocha.Context): Promise<void> {
  return requireService(ctx, "database", TEST_DATABASE_URL, 5432);
}

export function requireRedis(ctx: Mocha.Context): Promise<void> {
  return requireService(ctx, "redis", TEST_REDIS_URL, 6379);
}
