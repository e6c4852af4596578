import { expect } from "chai";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../src/application/ports/avatar-storage.port.js";
import { StorageUnavailableError } from "../../src/domain/errors.js";
import { IMAGES } from "../support/images.js";

export interface AvatarStorageHarness {
  adapter: AvatarStorage;
  /** The bytes behind a stored avatar, read back from where the adapter put them; null when gone. */
  read(stored: StoredAvatar): Promise<Buffer | null>;
  /** Makes every following call fail the way this backend fails (disk unusable, image service erroring). */
  breakStorage(): Promise<void>;
  cleanup(): Promise<void>;
}

const EXTENSIONS: Record<AvatarContentType, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };

async function expectStorageUnavailable(promise: Promise<unknown>, withinMs: number): Promise<void> {
  const started = Date.now();
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).code).to.equal("STORAGE_UNAVAILABLE");
    expect(Date.now() - started, "failed within the deadline").to.be.below(withinMs);
    return;
  }
  expect.fail("expected a StorageUnavailableError");
}

/** What every AvatarStorage must do, whatever it stores images in. */
export function avatarStorageContract(factory: () => Promise<AvatarStorageHarness>): void {
  let harness: AvatarStorageHarness;

  beforeEach(async () => {
    harness = await factory();
  });

  afterEach(async () => {
    await harness.cleanup();
  });

  for (const [contentType, bytes] of Object.entries(IMAGES) as Array<[AvatarContentType, Uint8Array]>) {
    it(`stores ${contentType} bytes and hands back an absolute URL and a key`, async () => {
      const stored = await harness.adapter.store({ userId: "user-1", bytes, contentType });
      expect(stored.key).to.be.a("string").and.not.empty;
      const url = new URL(stored.url);
      expect(url.protocol).to.match(/^https?:$/);
      expect(url.pathname.endsWith(`.${EXTENSIONS[contentType]}`), url.pathname).to.equal(true);
      expect(Buffer.compare((await harness.read(stored))!, Buffer.from(bytes))).to.equal(0);
    });
  }

  it("never reuses a key or a URL, even for identical bytes", async () => {
    const a = await harness.adapter.store({ userId: "user-1", bytes: IMAGES["image/png"], contentType: "image/png" });
    const b = await harness.adapter.store({ userId: "user-1", bytes: IMAGES["image/png"], contentType: "image/png" });
    expect(a.key).to.not.equal(b.key);
    expect(a.url).to.not.equal(b.url);
    expect(await harness.read(a)).to.not.equal(null);
  });

  it("removes an image; removing it again, or a key it never issued, succeeds", async () => {
    const keep = await harness.adapter.store({ userId: "user-1", bytes: IMAGES["image/gif"], contentType: "image/gif" });
    const stored = await harness.adapter.store({ userId: "user-1", bytes: IMAGES["image/png"], contentType: "image/png" });
    await harness.adapter.remove(stored.key);
    expect(await harness.read(stored)).to.equal(null);
    await harness.adapter.remove(stored.key);
    await harness.adapter.remove("never-issued-0123456789");
    expect(await harness.read(keep), "other images are untouched").to.not.equal(null);
  });

  it("answers ping while healthy", async () => {
    await harness.adapter.ping();
  });

  it("fails with STORAGE_UNAVAILABLE (never a hang, never a raw error) when the store is broken", async () => {
    await harness.breakStorage();
    await expectStorageUnavailable(harness.adapter.store({ userId: "user-1", bytes: IMAGES["image/png"], contentType: "image/png" }), 3000);
    await expectStorageUnavailable(harness.adapter.ping(), 3000);
  });
}
