import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type { SecureRandom } from "../../application/ports/security.port.js";

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > 1024) {
    throw new RangeError(`${name} must be an integer between 1 and 1024, got ${value}`);
  }
}

export class NodeSecureRandom implements SecureRandom {
  token(bytes: number): string {
    assertCount("bytes", bytes);
    return randomBytes(bytes).toString("base64url");
  }

  digits(length: number): string {
    assertCount("length", length);
    // randomInt rejects out-of-range draws internally, so each digit is unbiased (a byte % 10 would not be).
    let out = "";
    for (let i = 0; i < length; i++) out += String(randomInt(10));
    return out;
  }

  uuid(): string {
    return randomUUID();
  }
}
