import bcrypt from "bcrypt";
import { BENCH_PASSWORD } from "./seed.js";

export interface HashBound {
  cost: number;
  parallel: number;
  seconds: number;
  hashes: number;
  hashesPerSecond: number;
  /** One comparison's time when all `parallel` run at once. */
  msPerHash: number;
}

/**
 * What the machine can do at most: `parallel` bcrypt comparisons (native bcrypt on libuv's
 * thread pool, as the service runs them) kept in flight for `seconds`, outside any server.
 * Sign-in costs one comparison, so this is the sign-in ceiling.
 */
export async function measureHashBound(cost: number, parallel: number, seconds: number): Promise<HashBound> {
  const hash = await bcrypt.hash(BENCH_PASSWORD, cost);
  await bcrypt.compare(BENCH_PASSWORD, hash);
  let hashes = 0;
  let busyMs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await bcrypt.compare(BENCH_PASSWORD, hash);
        busyMs += performance.now() - t;
        hashes++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { cost, parallel, seconds: elapsed, hashes, hashesPerSecond: hashes / elapsed, msPerHash: busyMs / hashes };
}
