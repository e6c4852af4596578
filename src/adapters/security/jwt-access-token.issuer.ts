import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { LRUCache } from "lru-cache";
import type { AccessTokenClaims, AccessTokenIssuer, IssuedAccessToken } from "../../application/ports/security.port.js";
import { InvalidTokenError } from "../../domain/errors.js";

const ALGORITHM = "HS256";
const TOKEN_TYPE = "access";
// Far above any token we issue; spares parsing work on junk sent by a client.
const MAX_TOKEN_LENGTH = 4096;

export interface JwtAccessTokenIssuerOptions {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Tokens remembered after their signature checked out (default 10,000; 0 = none). */
  verifiedCacheSize?: number;
}

interface Verified {
  claims: AccessTokenClaims;
  /** The token's exp, in seconds. */
  exp: number;
}

export class JwtAccessTokenIssuer implements AccessTokenIssuer {
  // Built once: handing jsonwebtoken a string secret makes it derive a KeyObject on every call.
  private readonly key: KeyObject;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly ttlSeconds: number;
  /**
   * A client presents the same access token on every request for its whole life, and checking
   * an HS256 signature through jsonwebtoken (decode twice, HMAC, claim checks) is the largest
   * CPU cost of an authenticated request after the network. A token that checked out once is
   * the same string with the same signature until it expires: remembered by its exact bytes
   * (a forged token is a different string and misses), it is only re-checked against the clock.
   */
  private readonly verified: LRUCache<string, Verified> | null;

  constructor(options: JwtAccessTokenIssuerOptions) {
    if (options.secret.length === 0) throw new Error("JwtAccessTokenIssuer needs a non-empty secret");
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
      throw new RangeError(`ttlSeconds must be a positive integer, got ${options.ttlSeconds}`);
    }
    this.key = createSecretKey(Buffer.from(options.secret, "utf8"));
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.ttlSeconds = options.ttlSeconds;
    const size = options.verifiedCacheSize ?? 10_000;
    this.verified = size > 0 ? new LRUCache({ max: size }) : null;
  }

  issue(claims: AccessTokenClaims, now: Date): IssuedAccessToken {
    // iat and exp come from the passed clock, not Date.now(), so a frozen test clock holds.
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = jwt.sign(
      {
        sub: claims.userId,
        sid: claims.sessionId,
        role: claims.role,
        ...(claims.scope ? { scp: claims.scope } : {}),
        typ: TOKEN_TYPE,
        iss: this.issuer,
        aud: this.audience,
        iat,
        exp,
      },
      this.key,
      { algorithm: ALGORITHM },
    );
    return { token, expiresAt: new Date(exp * 1000) };
  }

  verify(token: string, now: Date): AccessTokenClaims {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError();
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const remembered = this.verified?.get(token);
    if (remembered) {
      if (nowSeconds >= remembered.exp) throw new InvalidTokenError();
      return { ...remembered.claims };
    }
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.key, {
        // Pinned: refuses "none", other HMAC sizes and any asymmetric algorithm (key confusion).
        algorithms: [ALGORITHM],
        issuer: this.issuer,
        audience: this.audience,
        clockTimestamp: nowSeconds,
        clockTolerance: 0,
      });
    } catch {
      throw new InvalidTokenError();
    }
    if (typeof payload !== "object" || payload === null) throw new InvalidTokenError();
    const { sub, sid, role, typ, exp, scp } = payload as Record<string, unknown>;
    if (scp !== undefined && scp !== "reactivate") throw new InvalidTokenError();
    // jsonwebtoken accepts a token without exp; ours always carry one, so one without is not ours.
    if (typeof exp !== "number") throw new InvalidTokenError();
    if (typ !== TOKEN_TYPE) throw new InvalidTokenError();
    if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(role)) throw new InvalidTokenError();
    const claims: AccessTokenClaims = scp === "reactivate" ? { userId: sub, sessionId: sid, role, scope: "reactivate" } : { userId: sub, sessionId: sid, role };
    this.verified?.set(token, { claims: { ...claims }, exp });
    return claims;
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
