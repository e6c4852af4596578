import { inject, injectable } from "tsyringe";
import { isPurgeDue } from "../../domain/account-deletion.policy.js";
import { isValidEmail, normalizeEmail } from "../../domain/email.js";
import {
  AccountExistsUnverifiedLinkError,
  EmailTakenError,
  IdentityTakenError,
  OAuthFailedError,
  ReactivationWindowClosedError,
  TooManyAttemptsError,
} from "../../domain/errors.js";
import type { Identity, OAuthProvider } from "../../domain/identity.entity.js";
import { NAME_MAX_LENGTH, type User } from "../../domain/user.entity.js";
import type { RequestMeta } from "../request-context.js";
import type { IdentityRepository } from "../ports/identity-repository.port.js";
import type { Clock, SecureRandom } from "../ports/security.port.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { PasswordAttempts } from "../services/password-attempts.service.js";
import { SessionTokens, type SessionGrant } from "../services/session-tokens.service.js";
import { TOKENS } from "../tokens.js";

/** What a driver learned from the provider, already normalised to one shape. */
export interface OAuthProfile {
  /** The provider's stable subject id. */
  providerUserId: string;
  email: string | null;
  /** Only true when the provider itself vouches for `email`. */
  emailVerified: boolean;
  name: string;
  /** Ignored on purpose: remote images are not fetched (SSRF, storage abuse). */
  avatarUrl?: string | null;
}

export interface OAuthSignInInput {
  provider: OAuthProvider;
  profile: OAuthProfile;
  meta: RequestMeta;
}

export interface OAuthSignInOutput extends SessionGrant {
  user: User;
  /** "existing": found by provider id; "linked": joined to an account by verified email; "created": new account. */
  outcome: "existing" | "linked" | "created";
}

/**
 * Whose word on an email address counts. Facebook's Graph API does not say whether an address
 * was confirmed, so a Facebook address never counts as verified, whatever a driver passes in.
 */
const VOUCHES_FOR_EMAIL: Record<OAuthProvider, boolean> = { github: true, google: true, facebook: false };

/**
 * Sign-in through an OAuth provider. Accounts are found by (provider, provider user id), never
 * by email: an email can change hands, a subject id cannot. A provider account is joined to an
 * existing account only when the provider vouches for the email and the account's own address
 * is verified; anything else could hand an account to whoever typed its address somewhere.
 */
@injectable()
export class OAuthSignIn {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.IdentityRepository) private readonly identities: IdentityRepository,
    @inject(SessionTokens) private readonly sessionTokens: SessionTokens,
    @inject(PasswordAttempts) private readonly attempts: PasswordAttempts,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SecureRandom) private readonly random: SecureRandom,
  ) {}

  async execute(raw: OAuthSignInInput): Promise<OAuthSignInOutput> {
    const input: OAuthSignInInput = {
      ...raw,
      profile: { ...raw.profile, emailVerified: raw.profile.emailVerified && VOUCHES_FOR_EMAIL[raw.provider] },
    };
    const { provider, profile } = input;
    if (!profile.providerUserId) throw new OAuthFailedError("profile_invalid");

    const resolved = (await this.findLinked(provider, profile.providerUserId)) ?? (await this.linkOrCreate(input));
    const { user, outcome } = resolved;

    const now = this.clock.now();
    const grant = await this.sessionTokens.start(user, input.meta, now);
    // Only the login time changes: name, avatar and the verified flag belong to the user.
    const updated = (await this.users.update(user.id, { lastLoginAt: now, updatedAt: now })) ?? user;
    this.audit.record("oauth-sign-in", user.id, input.meta, { sessionId: grant.session.id, provider, outcome });
    return { ...grant, user: updated, outcome };
  }

  private async findLinked(provider: OAuthProvider, providerUserId: string): Promise<{ user: User; outcome: "existing" } | null> {
    const identity = await this.identities.findByProvider(provider, providerUserId);
    if (!identity) return null;
    const user = await this.users.findById(identity.userId);
    if (!user) {
      // A store without a foreign key kept the link of an erased user: drop it and start over.
      await this.identities.deleteForUser(identity.userId);
      return null;
    }
    this.assertNotErased(user);
    await this.assertNotBlocked(user.emailNormalized);
    return { user, outcome: "existing" };
  }

  private async linkOrCreate(input: OAuthSignInInput, retried = false): Promise<{ user: User; outcome: "linked" | "created" | "existing" }> {
    const { provider, profile } = input;
    if (!profile.email || !isValidEmail(profile.email)) throw new OAuthFailedError("email_missing");
    const email = profile.email.trim();
    const emailNormalized = normalizeEmail(email);

    const existing = await this.users.findByEmail(emailNormalized);
    if (existing) {
      // Both sides must vouch for the address: the provider (else anyone could claim it there)
      // and the account (else a pending sign-up by someone else would receive this identity).
      if (!profile.emailVerified || !existing.isEmailVerified) throw new AccountExistsUnverifiedLinkError();
      this.assertNotErased(existing);
      await this.assertNotBlocked(existing.emailNormalized);
      const linked = await this.link(input, existing.id, emailNormalized);
      if (linked.userId !== existing.id) return this.resolveRace(provider, profile.providerUserId);
      this.audit.record("oauth-linked", existing.id, input.meta, { provider, via: "verified-email" });
      return { user: existing, outcome: "linked" };
    }

    await this.assertNotBlocked(emailNormalized);
    const now = this.clock.now();
    let user: User;
    try {
      user = await this.users.create({
        id: this.random.uuid(),
        name: displayName(profile.name, email),
        email,
        emailNormalized,
        passwordHash: null,
        role: "user",
        avatar: null,
        // The account's address is as trustworthy as the provider's word on it, and no more.
        isEmailVerified: profile.emailVerified,
        lastLoginAt: null,
        createdAt: now,
        updatedAt: now,
        deactivatedAt: null,
        purgeAfter: null,
      });
    } catch (err) {
      // A parallel sign-up or OAuth callback took the address first: decide again with it in place.
      if (err instanceof EmailTakenError && !retried) {
        const linked = await this.findLinked(provider, profile.providerUserId);
        return linked ?? this.linkOrCreate(input, true);
      }
      throw err;
    }
    const identity = await this.link(input, user.id, emailNormalized);
    if (identity.userId !== user.id) {
      // The same provider account finished a parallel first sign-in: keep that one, drop ours.
      await this.users.delete(user.id);
      return this.resolveRace(provider, profile.providerUserId);
    }
    this.audit.record("sign-up", user.id, input.meta, { method: "oauth", provider });
    this.audit.record("oauth-linked", user.id, input.meta, { provider, via: "new-account" });
    return { user, outcome: "created" };
  }

  /** Links, or returns the identity a parallel request linked first. */
  private async link(input: OAuthSignInInput, userId: string, emailNormalized: string): Promise<Identity> {
    try {
      return await this.identities.create({
        id: this.random.uuid(),
        userId,
        provider: input.provider,
        providerUserId: input.profile.providerUserId,
        email: emailNormalized,
        emailVerified: input.profile.emailVerified,
        linkedAt: this.clock.now(),
      });
    } catch (err) {
      if (!(err instanceof IdentityTakenError)) throw err;
      const winner = await this.identities.findByProvider(input.provider, input.profile.providerUserId);
      if (!winner) throw err;
      return winner;
    }
  }

  private async resolveRace(provider: OAuthProvider, providerUserId: string): Promise<{ user: User; outcome: "existing" }> {
    const found = await this.findLinked(provider, providerUserId);
    if (!found) throw new OAuthFailedError("link_conflict");
    return found;
  }

  /** Past its retention window a soft-deleted account is as good as erased (as for password sign-in). */
  private assertNotErased(user: User): void {
    if (isPurgeDue(user, this.clock.now())) throw new ReactivationWindowClosedError();
  }

  /** A locked address (failed passwords, operator lock) stays locked whatever door is used. */
  private async assertNotBlocked(emailNormalized: string): Promise<void> {
    const seconds = await this.attempts.blockedFor(emailNormalized);
    if (seconds > 0) throw new TooManyAttemptsError(seconds);
  }
}

function displayName(raw: string, email: string): string {
  const name = raw.replace(/\s+/g, " ").trim() || email.split("@")[0]!.trim() || "User";
  return Array.from(name).slice(0, NAME_MAX_LENGTH).join("");
}
