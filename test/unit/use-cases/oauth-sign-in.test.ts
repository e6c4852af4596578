import { expect } from "chai";
// First: the harness loads reflect-metadata, which tsyringe needs before any use case module.
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";
import { InMemoryIdentityRepository } from "../../../src/adapters/persistence/in-memory-identity.repository.js";
import { TOKENS } from "../../../src/application/tokens.js";
import { OAuthSignIn, type OAuthProfile } from "../../../src/application/use-cases/oauth-sign-in.use-case.js";
import {
  AccountExistsUnverifiedLinkError,
  EmailNotVerifiedError,
  InvalidCredentialsError,
  OAuthFailedError,
  ReactivationWindowClosedError,
  TooManyAttemptsError,
} from "../../../src/domain/errors.js";
import type { OAuthProvider } from "../../../src/domain/identity.entity.js";

const PASSWORD = "correct horse battery";

function profile(overrides: Partial<OAuthProfile> = {}): OAuthProfile {
  return {
    providerUserId: "gh-1001",
    email: "octo@example.com",
    emailVerified: true,
    name: "Octo Cat",
    avatarUrl: "https://avatars.example/octo.png",
    ...overrides,
  };
}

describe("OAuthSignIn", () => {
  let h: UseCaseHarness;
  let identities: InMemoryIdentityRepository;
  let oauthSignIn: OAuthSignIn;

  beforeEach(() => {
    h = buildUseCases();
    identities = new InMemoryIdentityRepository();
    h.container.register(TOKENS.IdentityRepository, { useValue: identities });
    oauthSignIn = h.container.resolve(OAuthSignIn);
  });

  const signInWith = (provider: OAuthProvider, p: OAuthProfile) => oauthSignIn.execute({ provider, profile: p, meta: TEST_META });

  async function events(userId: string): Promise<string[]> {
    await h.flushBackground();
    return (await h.auditLog.listForUser(userId, 100)).map((e) => e.event);
  }

  it("first sign-in creates a verified account without a password, links it and starts a session", async () => {
    const out = await signInWith("github", profile());
    expect(out.outcome).to.equal("created");
    expect(out.user).to.include({ name: "Octo Cat", email: "octo@example.com", isEmailVerified: true, passwordHash: null, role: "user" });
    // The remote picture is not fetched or stored.
    expect(out.user.avatar).to.equal(null);
    expect(out.user.lastLoginAt?.getTime()).to.equal(h.clock.now().getTime());

    const identity = await identities.findByProvider("github", "gh-1001");
    expect(identity).to.include({ userId: out.user.id, email: "octo@example.com", emailVerified: true });
    const claims = await h.authenticate.execute({ accessToken: out.tokens.accessToken });
    expect(claims).to.deep.include({ userId: out.user.id, sessionId: out.session.id, role: "user" });
    expect(claims.user).to.deep.equal(out.user);
    expect(await events(out.user.id)).to.include.members(["sign-up", "oauth-linked", "oauth-sign-in"]);

    // Passwordless: a password sign-in is refused like a wrong password.
    const err = await rejectionOf(h.signIn.execute({ email: "octo@example.com", password: PASSWORD, meta: TEST_META }));
    expect(err).to.be.instanceOf(InvalidCredentialsError);
  });

  it("second sign-in finds the account by provider id even after the email changed at the provider", async () => {
    const first = await signInWith("github", profile());
    const second = await signInWith("github", profile({ email: "renamed@example.com", name: "New Name" }));
    expect(second.outcome).to.equal("existing");
    expect(second.user.id).to.equal(first.user.id);
    expect(second.user.email).to.equal("octo@example.com");
    expect(second.session.id).to.not.equal(first.session.id);
    expect(await h.users.findByEmail("renamed@example.com")).to.equal(null);
  });

  it("the same subject id at another provider is another identity", async () => {
    const gh = await signInWith("github", profile({ providerUserId: "42", email: "a@example.com" }));
    const google = await signInWith("google", profile({ providerUserId: "42", email: "b@example.com" }));
    expect(google.user.id).to.not.equal(gh.user.id);
  });

  it("links to an existing verified account when the provider vouches for the email", async () => {
    const owner = await h.registerVerifiedUser("Alice@Example.com", PASSWORD, "Alice");
    const out = await signInWith("google", profile({ providerUserId: "g-1", email: "alice@example.COM", emailVerified: true }));
    expect(out.outcome).to.equal("linked");
    expect(out.user.id).to.equal(owner.id);
    expect((await identities.listByUser(owner.id)).map((i) => i.provider)).to.deep.equal(["google"]);
    expect(await events(owner.id)).to.include.members(["oauth-linked", "oauth-sign-in"]);
    // The password keeps working.
    await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
  });

  it("refuses to link when the provider does not vouch for the email, and merges nothing", async () => {
    const owner = await h.registerVerifiedUser("alice@example.com", PASSWORD);
    const before = await h.users.findById(owner.id);
    const err = await rejectionOf(signInWith("github", profile({ email: "alice@example.com", emailVerified: false })));
    expect(err).to.be.instanceOf(AccountExistsUnverifiedLinkError);
    expect(await identities.findByProvider("github", "gh-1001")).to.equal(null);
    expect(await identities.listByUser(owner.id)).to.deep.equal([]);
    expect(await h.users.findById(owner.id)).to.deep.equal(before);
    expect((await h.sessions.listByUser(owner.id)).length).to.equal(0);
  });

  it("never links a Facebook identity by email (Facebook's address is never taken as verified)", async () => {
    await h.registerVerifiedUser("alice@example.com", PASSWORD);
    // Even a driver that claims the Facebook address is verified does not get a merge.
    const err = await rejectionOf(signInWith("facebook", profile({ providerUserId: "fb-9", email: "alice@example.com", emailVerified: true })));
    expect(err).to.be.instanceOf(AccountExistsUnverifiedLinkError);
    expect(await identities.findByProvider("facebook", "fb-9")).to.equal(null);
    // ...and a new account made from a Facebook address is not marked verified either.
    const fresh = await signInWith("facebook", profile({ providerUserId: "fb-10", email: "fresh@example.com", emailVerified: true }));
    expect(fresh.user.isEmailVerified).to.equal(false);
    expect((await identities.findByProvider("facebook", "fb-10"))?.emailVerified).to.equal(false);
  });

  it("refuses to hand a verified identity to a pending (unverified) sign-up of the same address", async () => {
    // Someone registered the victim's address and never verified it (account pre-hijacking).
    await h.signUp.execute({ name: "Squatter", email: "victim@example.com", password: "squatter password 1" });
    const err = await rejectionOf(signInWith("google", profile({ providerUserId: "g-victim", email: "victim@example.com", emailVerified: true })));
    expect(err).to.be.instanceOf(AccountExistsUnverifiedLinkError);
    expect(await identities.findByProvider("google", "g-victim")).to.equal(null);
  });

  it("an account made from an unvouched address is not marked verified and cannot absorb a later verified identity", async () => {
    const fb = await signInWith("facebook", profile({ providerUserId: "fb-1", email: "claimed@example.com", emailVerified: false }));
    expect(fb.outcome).to.equal("created");
    expect(fb.user.isEmailVerified).to.equal(false);
    const err = await rejectionOf(signInWith("google", profile({ providerUserId: "g-real", email: "claimed@example.com", emailVerified: true })));
    expect(err).to.be.instanceOf(AccountExistsUnverifiedLinkError);
  });

  it("never overwrites the name, avatar or verified flag of an existing user", async () => {
    const owner = await h.registerVerifiedUser("alice@example.com", PASSWORD, "Alice Original");
    await h.users.update(owner.id, { avatar: { url: "https://cdn.example/alice.png", key: "alice" }, updatedAt: h.clock.now() });
    const linked = await signInWith("google", profile({ providerUserId: "g-a", email: "alice@example.com", name: "Evil Name", avatarUrl: "https://evil.example/x.png" }));
    const again = await signInWith("google", profile({ providerUserId: "g-a", email: "alice@example.com", emailVerified: false, name: "Other Name" }));
    for (const out of [linked, again]) {
      expect(out.user).to.include({ name: "Alice Original", isEmailVerified: true });
      expect(out.user.avatar).to.deep.equal({ url: "https://cdn.example/alice.png", key: "alice" });
    }
    const stored = await h.users.findById(owner.id);
    expect(stored).to.include({ name: "Alice Original", isEmailVerified: true, email: "alice@example.com" });
    expect(stored?.avatar?.url).to.equal("https://cdn.example/alice.png");
  });

  it("refuses a blocked email on every path (found, linked, created), before any session", async () => {
    const owner = await h.registerVerifiedUser("alice@example.com", PASSWORD);
    await signInWith("google", profile({ providerUserId: "g-a", email: "alice@example.com" }));
    await h.passwordAttempts.lock("alice@example.com", 900);
    const sessionsBefore = (await h.sessions.listByUser(owner.id)).length;

    const byIdentity = await rejectionOf(signInWith("google", profile({ providerUserId: "g-a", email: "alice@example.com" })));
    expect(byIdentity).to.be.instanceOf(TooManyAttemptsError);
    expect((byIdentity as TooManyAttemptsError).retryAfterSeconds).to.be.greaterThan(0);

    const byLink = await rejectionOf(signInWith("github", profile({ providerUserId: "gh-a", email: "alice@example.com" })));
    expect(byLink).to.be.instanceOf(TooManyAttemptsError);
    expect(await identities.findByProvider("github", "gh-a")).to.equal(null);
    expect((await h.sessions.listByUser(owner.id)).length).to.equal(sessionsBefore);

    await h.passwordAttempts.lock("nobody@example.com", 900);
    const byCreate = await rejectionOf(signInWith("github", profile({ providerUserId: "gh-n", email: "nobody@example.com" })));
    expect(byCreate).to.be.instanceOf(TooManyAttemptsError);
    expect(await h.users.findByEmail("nobody@example.com")).to.equal(null);
  });

  it("lets a blocked address in again once the block has expired", async () => {
    await signInWith("github", profile());
    await h.passwordAttempts.lock("octo@example.com", 60);
    expect(await rejectionOf(signInWith("github", profile()))).to.be.instanceOf(TooManyAttemptsError);
    h.clock.advance(61_000);
    expect((await signInWith("github", profile())).outcome).to.equal("existing");
  });

  it("gives a soft-deleted account the restricted (reactivate-scoped) session, as password sign-in does", async () => {
    const first = await signInWith("github", profile());
    const now = h.clock.now();
    await h.users.update(first.user.id, { deactivatedAt: now, purgeAfter: new Date(now.getTime() + 30 * 86_400_000), updatedAt: now });
    const out = await signInWith("github", profile());
    expect(out.user.deactivatedAt).to.not.equal(null);
    const claims = await h.authenticate.execute({ accessToken: out.tokens.accessToken });
    expect(claims).to.include({ userId: first.user.id, scope: "reactivate" });
  });

  it("refuses a soft-deleted account past its retention window, as if it were erased", async () => {
    const first = await signInWith("github", profile());
    const now = h.clock.now();
    await h.users.update(first.user.id, { deactivatedAt: now, purgeAfter: new Date(now.getTime() + 1000), updatedAt: now });
    h.clock.advance(2000);
    const before = (await h.sessions.listByUser(first.user.id)).length;
    expect(await rejectionOf(signInWith("github", profile()))).to.be.instanceOf(ReactivationWindowClosedError);
    expect(await rejectionOf(signInWith("google", profile({ providerUserId: "g-late" })))).to.be.instanceOf(ReactivationWindowClosedError);
    expect((await h.sessions.listByUser(first.user.id)).length).to.equal(before);
  });

  it("refuses a profile without a usable email when there is no linked account", async () => {
    for (const email of [null, "", "not-an-email"]) {
      const err = await rejectionOf(signInWith("github", profile({ providerUserId: "gh-x", email })));
      expect(err).to.be.instanceOf(OAuthFailedError).and.have.property("reason", "email_missing");
    }
    expect(await identities.findByProvider("github", "gh-x")).to.equal(null);
  });

  it("a linked account still signs in when the provider no longer shares an email", async () => {
    const first = await signInWith("github", profile());
    const out = await signInWith("github", profile({ email: null, emailVerified: false }));
    expect(out.user.id).to.equal(first.user.id);
  });

  it("falls back to the address for an empty name and trims an overlong one", async () => {
    const blank = await signInWith("github", profile({ providerUserId: "n1", email: "jane.doe@example.com", name: "   " }));
    expect(blank.user.name).to.equal("jane.doe");
    const long = await signInWith("github", profile({ providerUserId: "n2", email: "long@example.com", name: "x".repeat(500) }));
    expect(long.user.name.length).to.equal(100);
  });

  it("two parallel first sign-ins of the same provider account end in one account", async () => {
    const [a, b] = await Promise.all([signInWith("google", profile({ providerUserId: "race" })), signInWith("google", profile({ providerUserId: "race" }))]);
    expect(a.user.id).to.equal(b.user.id);
    expect((await identities.listByUser(a.user.id)).length).to.equal(1);
  });

  it("an unverified password account is not a way in either: its owner must verify first", async () => {
    await h.signUp.execute({ name: "Pending", email: "pending@example.com", password: PASSWORD });
    const err = await rejectionOf(h.signIn.execute({ email: "pending@example.com", password: PASSWORD, meta: TEST_META }));
    expect(err).to.be.instanceOf(EmailNotVerifiedError);
    const oauth = await rejectionOf(signInWith("github", profile({ email: "pending@example.com" })));
    expect(oauth).to.be.instanceOf(AccountExistsUnverifiedLinkError);
  });
});
