import { createHash } from "node:crypto";
import type { PasswordHasher } from "../../application/ports/security.port.js";

const PREFIX = "fake$";

/** Unit tests only: bcrypt at any cost would make a use-case suite take seconds. Not a real hash. */
export class FastPasswordHasher implements PasswordHasher {
  readonly calls = { hash: 0, verify: 0, dummy: 0 };

  async hash(password: string): Promise<string> {
    this.calls.hash++;
    await Promise.resolve();
    return PREFIX + digest(password);
  }

  async verify(password: string, hash: string): Promise<boolean> {
    this.calls.verify++;
    await Promise.resolve();
    return hash === PREFIX + digest(password);
  }

  async verifyDummy(password: string): Promise<void> {
    this.calls.dummy++;
    await Promise.resolve();
    digest(password);
  }
}

function digest(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}
