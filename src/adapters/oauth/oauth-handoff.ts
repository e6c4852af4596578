import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock, KeyedHasher, SecureRandom } from "../../application/ports/security.port.js";
import type { OAuthFlowStore } from "./oauth-flow.store.js";

export const HANDOFF_TTL_SECONDS = 60;
const CODE_SHAPE = /^[A-Za-z0-9_-]{40,64}$/;

/**
 * Token-mode clients cannot read cookies set on a redirect, and tokens must never travel in a
 * URL. The callback therefore parks the session's tokens behind a one-time code (60 s, single
 * use) that the client exchanges over POST. The store holds only a keyed hash of the code and
 * the payload encrypted with a key derived from the code, so a copy of the store is useless.
 * A client that started with its own PKCE challenge must redeem with the verifier (RFC 7636 S256).
 */
export class OAuthHandoff {
  constructor(
    private readonly flows: OAuthFlowStore,
    private readonly hasher: KeyedHasher,
    private readonly random: SecureRandom,
    private readonly clock: Clock,
  ) {}

  async issue(payload: unknown, clientChallenge: string | null = null): Promise<string> {
    const code = this.random.token(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.keyFor(code), iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify({ payload, clientChallenge }), "utf8"), cipher.final()]);
    const value = [iv, cipher.getAuthTag(), sealed].map((b) => b.toString("base64url")).join(".");
    await this.flows.put(this.lookupKey(code), value, HANDOFF_TTL_SECONDS, this.clock.now());
    return code;
  }

  /**
   * The payload once; null for a malformed, unknown, used or expired code, and for a verifier
   * that does not match the flow's challenge (or one sent for a flow that had none). The code is
   * spent either way: whoever holds it without the verifier cannot try again.
   */
  async redeem(code: string, codeVerifier: string | null = null): Promise<unknown> {
    if (!CODE_SHAPE.test(code)) return null;
    const value = await this.flows.take(this.lookupKey(code), this.clock.now());
    if (!value) return null;
    const [iv, tag, sealed] = value.split(".").map((part) => Buffer.from(part, "base64url"));
    if (!iv || !tag || !sealed) return null;
    let opened: { payload: unknown; clientChallenge: string | null };
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.keyFor(code), iv);
      decipher.setAuthTag(tag);
      opened = JSON.parse(Buffer.concat([decipher.update(sealed), decipher.final()]).toString("utf8"));
    } catch {
      return null;
    }
    return verifierMatches(opened.clientChallenge, codeVerifier) ? opened.payload : null;
  }

  private lookupKey(code: string): string {
    return `handoff:${this.hasher.hash("oauth-handoff-id", code)}`;
  }

  private keyFor(code: string): Buffer {
    return Buffer.from(this.hasher.hash("oauth-handoff-key", code), "hex");
  }
}

/** RFC 7636 S256: BASE64URL(SHA-256(verifier)) equals the challenge; no challenge wants no verifier. */
function verifierMatches(challenge: string | null, verifier: string | null): boolean {
  if (challenge === null) return verifier === null;
  if (verifier === null) return false;
  const computed = Buffer.from(createHash("sha256").update(verifier, "ascii").digest("base64url"));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
