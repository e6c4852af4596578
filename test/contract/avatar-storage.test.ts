import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CloudinaryAvatarStorage } from "../../src/adapters/storage/cloudinary-avatar.storage.js";
import { LocalDiskAvatarStorage } from "../../src/adapters/storage/local-disk-avatar.storage.js";
import { StorageUnavailableError } from "../../src/domain/errors.js";
import { FakeCloudinary, type FakeCloudinaryFailure } from "../support/fake-cloudinary.js";
import { IMAGES } from "../support/images.js";
import { CollectingLogger } from "../support/use-case-harness.js";
import { avatarStorageContract } from "./avatar-storage.contract.js";

const PNG = IMAGES["image/png"];

describe("AvatarStorage contract: LocalDiskAvatarStorage", () => {
  avatarStorageContract(async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "avatars-"));
    const dir = path.join(root, "avatars");
    const adapter = new LocalDiskAvatarStorage({ dir, publicBaseUrl: "http://localhost:9000/api/v1/avatars/" });
    return {
      adapter,
      read: async (stored) => readFile(path.join(dir, stored.key)).catch(() => null),
      // A file where the directory should be: every write and the writability check fail.
      breakStorage: async () => {
        await rm(dir, { recursive: true, force: true });
        await writeFile(dir, "not a directory");
      },
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  });
});

describe("LocalDiskAvatarStorage", () => {
  let root: string;
  let storage: LocalDiskAvatarStorage;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "avatars-"));
    storage = new LocalDiskAvatarStorage({ dir: path.join(root, "avatars"), publicBaseUrl: "https://api.example.test/api/v1/avatars" });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("names files randomly (nothing about the user) under the public base URL, and leaves no temp file", async () => {
    const stored = await storage.store({ userId: "0b5e0c4e-user", bytes: PNG, contentType: "image/png" });
    expect(stored.key).to.match(/^[a-f0-9]{32}\.png$/);
    expect(stored.url).to.equal(`https://api.example.test/api/v1/avatars/${stored.key}`);
    expect(await readdir(path.join(root, "avatars"))).to.deep.equal([stored.key]);
  });

  it("never touches a path outside its directory, whatever key it is handed", async () => {
    const outside = path.join(root, "secret.png");
    await writeFile(outside, "keep me");
    await storage.store({ userId: "u", bytes: PNG, contentType: "image/png" });
    for (const key of ["../secret.png", "..%2Fsecret.png", "/etc/passwd", `${"a".repeat(32)}.png/../../secret.png`]) {
      await storage.remove(key);
      expect(await storage.open(key)).to.equal(null);
    }
    expect(await readFile(outside, "utf8")).to.equal("keep me");
  });

  it("opens a stored file with its content type and size, and nothing once removed", async () => {
    const stored = await storage.store({ userId: "u", bytes: IMAGES["image/webp"], contentType: "image/webp" });
    const file = await storage.open(stored.key);
    expect(file).to.include({ contentType: "image/webp", size: IMAGES["image/webp"].length });
    file!.stream.destroy();
    await storage.remove(stored.key);
    expect(await storage.open(stored.key)).to.equal(null);
  });
});

describe("AvatarStorage contract: CloudinaryAvatarStorage (real SDK against a local stand-in)", () => {
  avatarStorageContract(async () => {
    const fake = await FakeCloudinary.start();
    const adapter = new CloudinaryAvatarStorage({ url: fake.cloudinaryUrl }, { timeoutMs: 1000 });
    return {
      adapter,
      read: async (stored) => fake.assets.get(stored.key)?.bytes ?? null,
      breakStorage: async () => fake.failWith("status500"),
      cleanup: () => fake.close(),
    };
  });
});

describe("CloudinaryAvatarStorage", () => {
  let fake: FakeCloudinary;

  beforeEach(async () => {
    fake = await FakeCloudinary.start();
  });
  afterEach(() => fake.close());

  it("uploads through the signed upload API into the avatars folder, and destroys by public id", async () => {
    const storage = new CloudinaryAvatarStorage({ url: fake.cloudinaryUrl });
    const stored = await storage.store({ userId: "u", bytes: PNG, contentType: "image/png" });
    expect(fake.rejected).to.deep.equal([]);
    const [upload] = fake.uploads;
    expect(upload!.params).to.include({ api_key: fake.apiKey, folder: "hybrid-auth/avatars" });
    expect(upload!.params.signature).to.match(/^[a-f0-9]{40}$/);
    expect(stored.key).to.equal(upload!.publicId).and.match(/^hybrid-auth\/avatars\//);
    await storage.remove(stored.key);
    expect(fake.destroys.map((d) => d.publicId)).to.deep.equal([stored.key]);
    expect(fake.assets.has(stored.key)).to.equal(false);
  });

  it("takes the three values plus an upload prefix as well as CLOUDINARY_URL", async () => {
    const storage = new CloudinaryAvatarStorage(fake.config);
    const stored = await storage.store({ userId: "u", bytes: PNG, contentType: "image/png" });
    expect(fake.assets.has(stored.key)).to.equal(true);
    await storage.ping();
    expect(fake.pings).to.equal(1);
  });

  it("keeps each instance's credentials and endpoint to itself (no SDK-global config, no process.env)", async () => {
    const other = await FakeCloudinary.start({ cloudName: "other-cloud", apiKey: "999", apiSecret: "other-secret" });
    const saved = process.env.CLOUDINARY_URL;
    // A decoy: an adapter that fell back on the SDK's global config (filled from this variable) would post here.
    process.env.CLOUDINARY_URL = "cloudinary://1:2@env-cloud?upload_prefix=http://127.0.0.1:1";
    try {
      const a = new CloudinaryAvatarStorage({ url: fake.cloudinaryUrl });
      const b = new CloudinaryAvatarStorage({ url: other.cloudinaryUrl });
      await a.store({ userId: "u", bytes: PNG, contentType: "image/png" });
      await b.store({ userId: "u", bytes: PNG, contentType: "image/png" });
      await a.store({ userId: "u", bytes: PNG, contentType: "image/png" });
      expect([fake.uploads.length, other.uploads.length]).to.deep.equal([2, 1]);
      expect([...fake.rejected, ...other.rejected]).to.deep.equal([]);
    } finally {
      if (saved === undefined) delete process.env.CLOUDINARY_URL;
      else process.env.CLOUDINARY_URL = saved;
      await other.close();
    }
  });

  it("is refused by the stand-in when the secret is wrong (the signature is really checked)", async () => {
    const storage = new CloudinaryAvatarStorage({ ...fake.config, apiSecret: "not-the-secret" });
    const err = await storage.store({ userId: "u", bytes: PNG, contentType: "image/png" }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StorageUnavailableError);
    expect(fake.rejected.map((r) => r.reason)).to.deep.equal(["Invalid Signature"]);
    expect(fake.assets.size).to.equal(0);
  });

  for (const mode of ["status500", "hang", "close"] as FakeCloudinaryFailure[]) {
    it(`turns a ${mode} from Cloudinary into STORAGE_UNAVAILABLE within the deadline, for store, remove and ping`, async () => {
      const logger = new CollectingLogger();
      const storage = new CloudinaryAvatarStorage({ url: fake.cloudinaryUrl }, { timeoutMs: 300, logger });
      const stored = await storage.store({ userId: "u", bytes: PNG, contentType: "image/png" });
      fake.failWith(mode);
      for (const call of [
        () => storage.store({ userId: "u", bytes: PNG, contentType: "image/png" }),
        () => storage.remove(stored.key),
        () => storage.ping(),
      ]) {
        const started = Date.now();
        const err = await call().catch((e: unknown) => e);
        expect(err).to.be.instanceOf(StorageUnavailableError);
        expect(Date.now() - started).to.be.below(1500);
      }
      // Diagnosable, but the SDK's request options (API secret included) never reach the log.
      expect(logger.entries.filter((e) => e.level === "warn")).to.have.length(3);
      expect(logger.text()).to.not.include(fake.apiSecret);
    });
  }
});
