import { randomBytes } from "node:crypto";
import bcrypt from "bcrypt";
import type { PasswordHasher } from "../../application/ports/security.port.js";

/** Where the hashing runs: libuv's shared thread pool by default, or threads of our own. */
export interface BcryptEngine {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
}

/** The native bcrypt's asynchronous API: libuv's thread pool, never the event loop. */
export const LIBUV_THREAD_POOL: BcryptEngine = {
  hash: (password, cost) => bcrypt.hash(password, cost),
  compare: (password, hash) => bcrypt.compare(password, hash),
};

const MIN_COST = 4;
const MAX_COST = 31;
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export class BcryptPasswordHasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly cost: number,
    private readonly engine: BcryptEngine = LIBUV_THREAD_POOL,
  ) {
    if (!Number.isInteger(cost) || cost < MIN_COST || cost > MAX_COST) {
      throw new RangeError(`bcrypt cost must be an integer between ${MIN_COST} and ${MAX_COST}, got ${cost}`);
    }
  }

  hash(password: string): Promise<string> {
    return this.engine.hash(password, this.cost);
  }

  async verify(password: string, hash: string): Promise<boolean> {
    if (!BCRYPT_HASH.test(hash)) {
      // bcrypt answers "false" at once for a malformed hash; spend a real comparison's time instead.
      await this.verifyDummy(password);
      return false;
    }
    return this.engine.compare(password, hash);
  }

  async verifyDummy(password: string): Promise<void> {
    // Same cost as real hashes, so a missing account costs the same time as a wrong password.
    this.dummyHash ??= this.engine.hash(randomBytes(16).toString("base64url"), this.cost).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await this.engine.compare(password, await this.dummyHash);
  }
}
