import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";
import type { KeyedHasher } from "../../application/ports/security.port.js";

export class HmacKeyedHasher implements KeyedHasher {
  private readonly key: KeyObject;
  // A per-process key for equalizing lengths in equals(); it never leaves memory.
  private readonly equalizerKey = createSecretKey(randomBytes(32));

  constructor(secret: string) {
    if (secret.length === 0) throw new Error("HmacKeyedHasher needs a non-empty secret");
    this.key = createSecretKey(Buffer.from(secret, "utf8"));
  }

  hash(namespace: string, value: string): string {
    // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
    return createHmac("sha256", this.key).update(`${namespace}\0${value}`, "utf8").digest("hex");
  }

  equals(a: string, b: string): boolean {
    const left = Buffer.from(a, "utf8");
    const right = Buffer.from(b, "utf8");
    if (left.length === right.length) return timingSafeEqual(left, right);
    // timingSafeEqual throws on a length mismatch; comparing fixed-size digests instead spends
    // the same work as a real comparison, so the mismatch is not an early exit.
    timingSafeEqual(this.equalize(left), this.equalize(right));
    return false;
  }

  private equalize(input: Buffer): Buffer {
    return createHmac("sha256", this.equalizerKey).update(input).digest();
  }
}
