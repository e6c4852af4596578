import { randomBytes } from "node:crypto";
import bcrypt from "bcrypt";
import type { PasswordHasher } from "../../application/ports/security.port.js";

const MIN_COST = 4;
const MAX_COST = 31;
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export class BcryptPasswordHasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly cost: number) {
    if (!Number.isInteger(cost) || cost < MIN_COST || cost > MAX_COST) {
      throw new RangeError(`bcrypt cost must be an integer between ${MIN_COST} and ${MAX_COST}, got ${cost}`);
    }
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  async verify(password: string, hash: string): Promise<boolean> {
    if (!BCRYPT_HASH.test(hash)) {
      // bcrypt answers "false" at once for a malformed hash; spend a real comparison's time instead.
      await this.verifyDummy(password);
      return false;
    }
    return bcrypt.compare(password, hash);
  }

  async verifyDummy(password: string): Promise<void> {
    // Same cost as real hashes, so a missing account costs the same time as a wrong password.
    this.dummyHash ??= bcrypt.hash(randomBytes(16).toString("base64url"), this.cost).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await bcrypt.compare(password, await this.dummyHash);
  }
}
