import type { PasswordHasher } from "../../application/ports/security.port.js";
import { ServiceUnavailableError } from "../../domain/errors.js";

export interface BoundedPasswordHasherOptions {
  /** Hashes running at once; more would only queue inside libuv's thread pool. */
  concurrency: number;
  /** Hashes allowed to wait; beyond this the request is refused at once (503) instead of waiting. */
  maxQueue: number;
}

/**
 * Bounds password hashing so a sign-in flood cannot take every core from the event loop:
 * at most `concurrency` hashes run, at most `maxQueue` wait, the rest fail fast with 503.
 * Latency of everything else stays flat; sign-in throughput stays at the hash bound.
 */
export class BoundedPasswordHasher implements PasswordHasher {
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(
    private readonly inner: PasswordHasher,
    private readonly options: BoundedPasswordHasherOptions,
  ) {
    if (options.concurrency < 1 || options.maxQueue < 0) throw new RangeError("concurrency must be ≥ 1 and maxQueue ≥ 0");
  }

  get stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#queue.length };
  }

  hash(password: string): Promise<string> {
    return this.#run(() => this.inner.hash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#run(() => this.inner.verify(password, hash));
  }

  verifyDummy(password: string): Promise<void> {
    return this.#run(() => this.inner.verifyDummy(password));
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.options.concurrency) {
      if (this.#queue.length >= this.options.maxQueue) throw new ServiceUnavailableError("passwordHasher");
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, so #running never dips and races.
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
