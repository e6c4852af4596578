import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { IdentityRepository } from "../../src/application/ports/identity-repository.port.js";
import { IdentityTakenError } from "../../src/domain/errors.js";
import type { Identity } from "../../src/domain/identity.entity.js";

export interface IdentityRepositoryFixture {
  adapter: IdentityRepository;
  /** A user id the identities may point at (a real row where there is a foreign key). */
  createUser: () => Promise<string>;
  cleanup: () => Promise<void>;
}

export type IdentityRepositoryFactory = () => Promise<IdentityRepositoryFixture>;

const T0 = Date.parse("2024-03-01T10:00:00.123Z");

export function newIdentity(userId: string, overrides: Partial<Identity> = {}): Identity {
  return {
    id: randomUUID(),
    userId,
    provider: "github",
    providerUserId: String(Math.floor(Math.random() * 1e9)),
    email: "octocat@example.com",
    emailVerified: true,
    linkedAt: new Date(T0),
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  expect.fail("expected the promise to reject");
}

/** Registers the IdentityRepository contract; call inside a `describe` once per adapter. */
export function identityRepositoryContract(factory: IdentityRepositoryFactory): void {
  let repo: IdentityRepository;
  let createUser: () => Promise<string>;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: repo, createUser, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  it("links an identity and finds it by (provider, provider user id)", async () => {
    const userId = await createUser();
    const input = newIdentity(userId, { provider: "google", providerUserId: "1089-google-sub" });
    const created = await repo.create(input);
    expect(created).to.deep.equal(input);
    expect(await repo.findByProvider("google", "1089-google-sub")).to.deep.equal(input);
  });

  it("keeps an identity without email and an unverified one as such", async () => {
    const userId = await createUser();
    const noEmail = newIdentity(userId, { provider: "github", email: null, emailVerified: false });
    const unverified = newIdentity(userId, { provider: "facebook", email: "fb@example.com", emailVerified: false });
    await repo.create(noEmail);
    await repo.create(unverified);
    expect(await repo.findByProvider("github", noEmail.providerUserId)).to.deep.equal(noEmail);
    expect(await repo.findByProvider("facebook", unverified.providerUserId)).to.deep.equal(unverified);
  });

  it("finds nothing for an unknown subject, for the same subject at another provider, or another case", async () => {
    const userId = await createUser();
    await repo.create(newIdentity(userId, { provider: "github", providerUserId: "Abc123" }));
    expect(await repo.findByProvider("github", "nobody")).to.equal(null);
    expect(await repo.findByProvider("google", "Abc123")).to.equal(null);
    expect(await repo.findByProvider("github", "abc123")).to.equal(null);
  });

  it("lets the same subject id exist at two providers", async () => {
    const userId = await createUser();
    await repo.create(newIdentity(userId, { provider: "github", providerUserId: "42" }));
    await repo.create(newIdentity(userId, { provider: "facebook", providerUserId: "42" }));
    expect((await repo.listByUser(userId)).map((i) => i.provider).sort()).to.deep.equal(["facebook", "github"]);
  });

  it("refuses a second link of the same provider account, also to another user, and keeps the first", async () => {
    const owner = await createUser();
    const other = await createUser();
    const first = await repo.create(newIdentity(owner, { provider: "github", providerUserId: "777" }));
    const err = await rejectionOf(repo.create(newIdentity(other, { provider: "github", providerUserId: "777" })));
    expect(err).to.be.instanceOf(IdentityTakenError);
    expect(await repo.findByProvider("github", "777")).to.deep.equal(first);
    expect(await repo.listByUser(other)).to.deep.equal([]);
  });

  it("lists a user's identities oldest first, and no one else's", async () => {
    const userId = await createUser();
    const other = await createUser();
    const later = newIdentity(userId, { provider: "google", linkedAt: new Date(T0 + 60_000) });
    const earlier = newIdentity(userId, { provider: "github", linkedAt: new Date(T0) });
    await repo.create(later);
    await repo.create(earlier);
    await repo.create(newIdentity(other, { provider: "facebook" }));
    expect(await repo.listByUser(userId)).to.deep.equal([earlier, later]);
    expect(await repo.listByUser(randomUUID())).to.deep.equal([]);
  });

  it("deletes every identity of a user, counts them, and leaves other users' alone", async () => {
    const userId = await createUser();
    const other = await createUser();
    await repo.create(newIdentity(userId, { provider: "github" }));
    await repo.create(newIdentity(userId, { provider: "google" }));
    const kept = await repo.create(newIdentity(other, { provider: "github" }));

    expect(await repo.deleteForUser(userId)).to.equal(2);
    expect(await repo.listByUser(userId)).to.deep.equal([]);
    expect(await repo.deleteForUser(userId)).to.equal(0);
    expect(await repo.findByProvider("github", kept.providerUserId)).to.deep.equal(kept);

    // Once unlinked, the provider account may be linked again (to anyone).
    const relinked = await repo.create(newIdentity(other, { provider: "google", providerUserId: "re-link" }));
    expect(await repo.findByProvider("google", "re-link")).to.deep.equal(relinked);
  });

  it("hands out copies: changing what was passed in or returned does not change the store", async () => {
    const userId = await createUser();
    const input = newIdentity(userId, { email: "before@example.com" });
    const created = await repo.create(input);
    input.email = "mutated@example.com";
    input.linkedAt.setTime(0);
    created.emailVerified = false;
    const found = await repo.findByProvider(input.provider, input.providerUserId);
    expect(found?.email).to.equal("before@example.com");
    expect(found?.linkedAt.getTime()).to.equal(T0);
    expect(found?.emailVerified).to.equal(true);
    found!.userId = randomUUID();
    expect((await repo.listByUser(userId)).length).to.equal(1);
  });
}
