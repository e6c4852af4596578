import { expect } from "chai";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { TOKENS } from "../../src/application/tokens.js";
import { CloudinaryAvatarStorage } from "../../src/adapters/storage/cloudinary-avatar.storage.js";
import { FakeCloudinary } from "../support/fake-cloudinary.js";
import {
  TEST_ORIGIN,
  expectError,
  registerVerified,
  requireBackend,
  signInTokens,
  startTestApp,
  type Backend,
  type TestApp,
} from "../support/http-harness.js";
import { GPS_NOTE, IMAGES, imagesWithMetadata, pngOfSize } from "../support/images.js";

const PROFILE = "/api/v1/auth/profile";
const MiB = 1024 * 1024;

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Body bytes the client had written when the answer arrived. */
  sentBytes: number;
}

/**
 * Declares a large body, sends only `sendBytes` of it, and waits for the answer: an answer that
 * arrives proves the server decided without reading (or waiting for) the rest.
 */
function answerBeforeBodyEnds(
  port: number,
  options: { headers: Record<string, string>; declaredBytes: number; prefix: Buffer; sendBytes: number },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = http.request({
      host: "127.0.0.1",
      port,
      method: "PATCH",
      path: PROFILE,
      headers: { ...options.headers, "Content-Length": String(options.declaredBytes) },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")), sentBytes: sent });
        req.destroy();
      });
    });
    // The server may close the socket once it has answered; that is expected here.
    req.on("error", (err) => (sent < options.sendBytes ? reject(err) : undefined));
    const send = (chunk: Buffer) => {
      sent += chunk.length;
      req.write(chunk);
    };
    send(options.prefix);
    const filler = Buffer.alloc(64 * 1024, 0x41);
    while (sent < options.sendBytes) send(filler.subarray(0, Math.min(filler.length, options.sendBytes - sent)));
    // Never end(): the declared body never completes.
  });
}

function multipartPrefix(boundary: string, name: string, filename: string, contentType: string, head: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    Buffer.from(head),
  ]);
}

/** PATCH /profile with name and avatar (and uploads on local disk), on either backend. */
export function profileRoutesSuite(backend: Backend): void {
  let app: TestApp;
  let server: http.Server;
  let port: number;

  before(async function () {
    await requireBackend(this, backend);
    app = await startTestApp(backend);
    server = http.createServer(app.ctx.app.callback());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await app?.close();
  });

  const avatarDir = () => path.join(app.ctx.config.dataDir, "avatars");

  async function signedIn(): Promise<{ auth: string; userId: string; email: string }> {
    const email = await registerVerified(app);
    const tokens = await signInTokens(app, email);
    return { auth: `Bearer ${tokens.accessToken}`, userId: tokens.userId, email };
  }

  describe("JSON", () => {
    it("changes the name (trimmed) and answers with the presented user", async () => {
      const { auth, userId, email } = await signedIn();
      const res = await app.request.patch(PROFILE).set("Authorization", auth).send({ name: "  Grace Hopper  " });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ success: true, statusCode: 200 });
      expect(res.body.data.user).to.include({ id: userId, name: "Grace Hopper", email, avatar: null });
      expect(res.body.data.user).to.not.have.any.keys("passwordHash", "emailNormalized", "deactivatedAt");
      const profile = await app.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user.name).to.equal("Grace Hopper");
    });

    it("refuses an empty name, a name over 100 characters, a missing name and unknown fields with 400 naming the field", async () => {
      const { auth } = await signedIn();
      for (const [body, field] of [
        [{ name: "   " }, "name"],
        [{ name: "x".repeat(101) }, "name"],
        [{}, "name"],
        [{ name: "Ok", email: "new@example.test" }, "email"],
        [{ name: 42 }, "name"],
      ] as const) {
        const res = await app.request.patch(PROFILE).set("Authorization", auth).send(body);
        expectError(res, 400, "VALIDATION_FAILED");
        expect(res.body.errors, JSON.stringify(body)).to.have.property(field);
      }
      const profile = await app.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user.name).to.equal("Test User");
    });

    it("refuses a body that is neither JSON nor multipart with 415", async () => {
      const { auth } = await signedIn();
      const res = await app.request.patch(PROFILE).set("Authorization", auth).set("Content-Type", "text/plain").send("name=x");
      expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    });
  });

  describe("authentication comes first", () => {
    it("answers 401 without a token and with a bad token", async () => {
      expectError(await app.request.patch(PROFILE).send({ name: "x" }), 401, "UNAUTHENTICATED");
      const bad = await app.request.patch(PROFILE).set("Authorization", "Bearer not.a.jwt").attach("avatar", Buffer.from(IMAGES["image/png"]), "a.png");
      expect(bad.status).to.equal(401);
    });

    it("answers 401 to a large unauthenticated upload before the body is read", async () => {
      const boundary = "----unauthenticated";
      const answer = await answerBeforeBodyEnds(port, {
        headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, Origin: TEST_ORIGIN },
        declaredBytes: 50 * MiB,
        prefix: multipartPrefix(boundary, "avatar", "big.png", "image/png", IMAGES["image/png"]),
        sendBytes: 256 * 1024,
      });
      expect(answer.status).to.equal(401);
      expect(answer.body).to.include({ code: "UNAUTHENTICATED" });
      expect(answer.sentBytes).to.be.below(MiB);
    });
  });

  describe("multipart", () => {
    for (const [contentType, { tagged: bytes, clean }] of Object.entries(imagesWithMetadata())) {
      it(`removes camera metadata (EXIF, XMP, text: where the picture was taken) from a ${contentType} avatar, pixels untouched`, async () => {
        expect(Buffer.from(bytes).toString("latin1")).to.include(GPS_NOTE);
        const { auth } = await signedIn();
        const res = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(bytes), { filename: "phone-photo", contentType });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const stored = await app.request.get(new URL(res.body.data.user.avatar.url).pathname).buffer(true).parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => cb(null, Buffer.concat(chunks)));
        });
        expect(stored.status).to.equal(200);
        expect((stored.body as Buffer).toString("latin1")).to.not.include("GPSLatitude");
        // What is left is byte for byte the same image without its metadata.
        expect(Buffer.compare(stored.body as Buffer, Buffer.from(clean))).to.equal(0);
      });
    }

    for (const [contentType, bytes] of Object.entries(IMAGES)) {
      const ext = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" }[contentType]!;
      it(`stores a ${ext} avatar with the name, and serves it back as ${contentType}`, async () => {
        const { auth } = await signedIn();
        const res = await app.request
          .patch(PROFILE)
          .set("Authorization", auth)
          .field("name", "Ada Lovelace")
          .attach("avatar", Buffer.from(bytes), { filename: `me.${ext}`, contentType });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.data.user.name).to.equal("Ada Lovelace");
        expect(res.body.data.user.avatar).to.have.all.keys("url");
        const url = new URL(res.body.data.user.avatar.url);
        expect(url.pathname).to.match(new RegExp(`^/api/v1/avatars/[a-f0-9]{32}\\.${ext}$`));

        const image = await app.request.get(url.pathname).buffer(true).parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => cb(null, Buffer.concat(chunks)));
        });
        expect(image.status).to.equal(200);
        expect(image.headers["content-type"]).to.equal(contentType);
        expect(image.headers["x-content-type-options"]).to.equal("nosniff");
        expect(image.headers["cache-control"]).to.match(/max-age=\d{7,}/);
        expect(Buffer.compare(image.body as Buffer, Buffer.from(bytes))).to.equal(0);
      });
    }

    it("judges the bytes, not the declared type: a PNG sent as image/jpeg is stored and served as PNG", async () => {
      const { auth } = await signedIn();
      const res = await app.request
        .patch(PROFILE)
        .set("Authorization", auth)
        .attach("avatar", Buffer.from(IMAGES["image/png"]), { filename: "photo.jpg", contentType: "image/jpeg" });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const { pathname } = new URL(res.body.data.user.avatar.url);
      expect(pathname).to.match(/\.png$/);
      const image = await app.request.get(pathname);
      expect(image.headers["content-type"]).to.equal("image/png");
    });

    it("refuses a text file declared image/png with 415 and changes nothing", async () => {
      const { auth } = await signedIn();
      const res = await app.request
        .patch(PROFILE)
        .set("Authorization", auth)
        .field("name", "Should Not Stick")
        .attach("avatar", Buffer.from("<svg onload=alert(1)>not an image</svg>"), { filename: "a.png", contentType: "image/png" });
      expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      const profile = await app.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user).to.include({ name: "Test User", avatar: null });
    });

    it("accepts exactly 5 MiB and refuses 5 MiB + 1 byte with 413, leaving the profile as it was", async () => {
      const { auth } = await signedIn();
      const ok = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", pngOfSize(5 * MiB), "max.png");
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      const before = ok.body.data.user;

      const res = await app.request
        .patch(PROFILE)
        .set("Authorization", auth)
        .field("name", "Too Big")
        .attach("avatar", pngOfSize(5 * MiB + 1), "big.png");
      expectError(res, 413, "PAYLOAD_TOO_LARGE");
      const profile = await app.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user).to.deep.equal(before);
    });

    it("answers 413 as soon as the file passes 5 MiB, without reading the rest of the upload", async () => {
      const { auth } = await signedIn();
      const boundary = "----toolarge";
      const answer = await answerBeforeBodyEnds(port, {
        headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, Authorization: auth },
        // Declared 5 MiB + 32 KiB: under the envelope allowance, so only the streamed file size can trip.
        declaredBytes: 5 * MiB + 32 * 1024,
        prefix: multipartPrefix(boundary, "avatar", "big.png", "image/png", IMAGES["image/png"]),
        sendBytes: 5 * MiB + 16 * 1024,
      });
      expect(answer.status).to.equal(413);
      expect(answer.body).to.include({ code: "PAYLOAD_TOO_LARGE" });
    });

    it("answers 413 from the declared length alone, before any of a huge body arrives", async () => {
      const { auth } = await signedIn();
      const boundary = "----declared";
      const answer = await answerBeforeBodyEnds(port, {
        headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, Authorization: auth },
        declaredBytes: 500 * MiB,
        prefix: multipartPrefix(boundary, "avatar", "big.png", "image/png", IMAGES["image/png"]),
        sendBytes: 64 * 1024,
      });
      expect(answer.status).to.equal(413);
      expect(answer.body).to.include({ code: "PAYLOAD_TOO_LARGE" });
    });

    it("gets the 413 to a separate client that keeps uploading (no reset swallows the answer)", async () => {
      const { auth } = await signedIn();
      // Another process, so the upload really races the server's close as it would over a network.
      const script = `
        const http = require("node:http");
        const [port, auth] = process.argv.slice(1);
        const boundary = "----separate";
        const body = Buffer.concat([
          Buffer.from("--" + boundary + '\\r\\nContent-Disposition: form-data; name="avatar"; filename="big.png"\\r\\nContent-Type: image/png\\r\\n\\r\\n'),
          Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
          Buffer.alloc(12 * 1024 * 1024, 0x41),
          Buffer.from("\\r\\n--" + boundary + "--\\r\\n"),
        ]);
        const once = () => new Promise((resolve) => {
          const req = http.request({ host: "127.0.0.1", port: Number(port), method: "PATCH", path: "${PROFILE}",
            headers: { Authorization: auth, "Content-Type": "multipart/form-data; boundary=" + boundary, "Content-Length": body.length } });
          let answered = false;
          req.on("response", (res) => { answered = true; res.resume(); res.on("end", () => resolve(res.statusCode)); });
          req.on("error", (err) => { if (!answered) resolve(err.code || String(err)); });
          req.end(body);
        });
        (async () => { const out = []; for (let i = 0; i < 5; i++) out.push(await once()); console.log(JSON.stringify(out)); })();
      `;
      const { execFile } = await import("node:child_process");
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["-e", script, String(port), auth], { timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      expect(JSON.parse(stdout)).to.deep.equal([413, 413, 413, 413, 413]);
    });

    it("keeps serving on the same app after refusing uploads (the refused connections were closed cleanly)", async () => {
      const { auth } = await signedIn();
      for (let i = 0; i < 3; i++) {
        const res = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", pngOfSize(5 * MiB + 1), "big.png");
        expect(res.status).to.equal(413);
      }
      await app.request.patch(PROFILE).set("Authorization", auth).send({ name: "Still Fine" }).expect(200);
    });

    it("refuses two files, an unknown field and an unknown file field with 400", async () => {
      const { auth } = await signedIn();
      const png = Buffer.from(IMAGES["image/png"]);
      const twoFiles = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", png, "a.png").attach("avatar", png, "b.png");
      expectError(twoFiles, 400, "VALIDATION_FAILED");
      expect(twoFiles.body.errors).to.have.property("avatar");

      const unknownField = await app.request.patch(PROFILE).set("Authorization", auth).field("name", "X").field("role", "admin");
      expectError(unknownField, 400, "VALIDATION_FAILED");
      expect(unknownField.body.errors).to.have.property("role");

      const otherFile = await app.request.patch(PROFILE).set("Authorization", auth).attach("picture", png, "a.png");
      expectError(otherFile, 400, "VALIDATION_FAILED");
      expect(otherFile.body.errors).to.have.property("picture");

      const blankName = await app.request.patch(PROFILE).set("Authorization", auth).field("name", "  ");
      expectError(blankName, 400, "VALIDATION_FAILED");
      expect(blankName.body.errors).to.have.property("name");

      const profile = await app.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user).to.include({ name: "Test User", role: "user", avatar: null });
      expect(await readdir(avatarDir()).catch(() => [])).to.satisfy((files: string[]) => files.every((f) => !f.endsWith(".tmp")));
    });

    it("takes a name alone, and treats a file input left empty as no file", async () => {
      const { auth } = await signedIn();
      const res = await app.request.patch(PROFILE).set("Authorization", auth).field("name", "Only Name");
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.user).to.include({ name: "Only Name", avatar: null });
      const blankInput = await app.request
        .patch(PROFILE)
        .set("Authorization", auth)
        .field("name", "Blank Input")
        .attach("avatar", Buffer.alloc(0), { filename: "", contentType: "application/octet-stream" });
      expect(blankInput.status, JSON.stringify(blankInput.body)).to.equal(200);
      expect(blankInput.body.data.user).to.include({ name: "Blank Input", avatar: null });
    });

    it("removes the old file once a new avatar replaced it", async () => {
      const { auth } = await signedIn();
      const first = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/gif"]), "a.gif").expect(200);
      const oldPath = new URL(first.body.data.user.avatar.url).pathname;
      const oldFile = path.join(avatarDir(), path.basename(oldPath));
      expect(existsSync(oldFile)).to.equal(true);

      const second = await app.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/webp"]), "b.webp").expect(200);
      const newPath = new URL(second.body.data.user.avatar.url).pathname;
      expect(newPath).to.not.equal(oldPath);
      await until(() => !existsSync(oldFile), "the old avatar file to be removed");
      expect((await app.request.get(oldPath)).status).to.equal(404);
      expect((await app.request.get(newPath)).status).to.equal(200);
    });
  });

  describe("GET /api/v1/avatars/:file", () => {
    it("answers 404 for unknown names and for anything that tries to leave the directory", async () => {
      for (const p of ["/api/v1/avatars/0123456789abcdef0123456789abcdef.png", "/api/v1/avatars/..%2Fsecrets.json", "/api/v1/avatars/..%2F..%2Fpackage.json", "/api/v1/avatars/x.html"]) {
        const res = await app.request.get(p);
        expect(res.status, p).to.equal(404);
        expect(res.headers["content-type"], p).to.match(/application\/json/);
      }
    });
  });

  describe("health", () => {
    it("reports image storage among the dependencies", async () => {
      const res = await app.request.get("/api/v1/health/detailed").expect(200);
      expect(res.body.data.dependencies.imageStorage).to.include({ status: "up", required: false });
    });
  });

  describe("with Cloudinary configured (real SDK, local stand-in)", () => {
    let fake: FakeCloudinary;
    let cloudApp: TestApp;

    before(async () => {
      fake = await FakeCloudinary.start();
      cloudApp = await startTestApp(backend, { env: { CLOUDINARY_URL: fake.cloudinaryUrl } });
    });
    after(async () => {
      await cloudApp?.close();
      await fake?.close();
    });
    afterEach(() => fake.heal());

    async function cloudUser(): Promise<string> {
      const email = await registerVerified(cloudApp);
      return `Bearer ${(await signInTokens(cloudApp, email)).accessToken}`;
    }

    it("uploads the avatar to Cloudinary, keeps its URL, and destroys the previous one after a replacement", async () => {
      const auth = await cloudUser();
      const first = await cloudApp.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/jpeg"]), "me.jpg");
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      const firstUpload = fake.uploads.at(-1)!;
      expect(first.body.data.user.avatar.url).to.match(new RegExp(`/${fake.cloudName}/image/upload/v\\d+/${firstUpload.publicId}\\.jpg$`));
      expect(fake.assets.get(firstUpload.publicId)!.bytes.equals(Buffer.from(IMAGES["image/jpeg"]))).to.equal(true);
      // No local copy and no local route when Cloudinary holds the images.
      expect((await cloudApp.request.get("/api/v1/avatars/0123456789abcdef0123456789abcdef.png")).status).to.equal(404);

      await cloudApp.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/png"]), "me.png").expect(200);
      await until(() => fake.destroys.some((d) => d.publicId === firstUpload.publicId), "the old image to be destroyed");
      expect(fake.assets.has(firstUpload.publicId)).to.equal(false);
    });

    it("answers 503 STORAGE_UNAVAILABLE when Cloudinary fails, and leaves the profile unchanged", async () => {
      const auth = await cloudUser();
      const ok = await cloudApp.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/png"]), "a.png").expect(200);
      const destroysBefore = fake.destroys.length;
      for (const mode of ["status500", "close"] as const) {
        fake.failWith(mode);
        const res = await cloudApp.request.patch(PROFILE).set("Authorization", auth).field("name", "Not Saved").attach("avatar", Buffer.from(IMAGES["image/gif"]), "b.gif");
        expectError(res, 503, "STORAGE_UNAVAILABLE");
        expect(JSON.stringify(res.body)).to.not.include(fake.apiSecret);
        fake.heal();
      }
      const profile = await cloudApp.request.get(PROFILE).set("Authorization", auth).expect(200);
      expect(profile.body.data.user).to.deep.equal(ok.body.data.user);
      expect(fake.destroys.length).to.equal(destroysBefore);
      // A name-only change does not need the image store at all.
      fake.failWith("status500");
      await cloudApp.request.patch(PROFILE).set("Authorization", auth).send({ name: "Name Only" }).expect(200);
    });

    it("reports Cloudinary in health without making the service unready", async () => {
      expect((await cloudApp.request.get("/api/v1/health/detailed").expect(200)).body.data.dependencies.imageStorage).to.include({ status: "up" });
      fake.failWith("status500");
      const res = await cloudApp.request.get("/api/v1/health/detailed").expect(200);
      expect(res.body.data.dependencies.imageStorage).to.include({ status: "down", required: false });
    });
  });

  describe("with a Cloudinary that hangs", () => {
    it("answers 503 STORAGE_UNAVAILABLE within the storage deadline instead of hanging", async () => {
      const fake = await FakeCloudinary.start();
      const storage = new CloudinaryAvatarStorage({ url: fake.cloudinaryUrl }, { timeoutMs: 300 });
      const hungApp = await startTestApp(backend, { overrides: new Map([[TOKENS.AvatarStorage, storage]]) });
      try {
        const email = await registerVerified(hungApp);
        const auth = `Bearer ${(await signInTokens(hungApp, email)).accessToken}`;
        fake.failWith("hang");
        const started = Date.now();
        const res = await hungApp.request.patch(PROFILE).set("Authorization", auth).attach("avatar", Buffer.from(IMAGES["image/png"]), "a.png");
        expectError(res, 503, "STORAGE_UNAVAILABLE");
        expect(Date.now() - started).to.be.below(2000);
        const profile = await hungApp.request.get(PROFILE).set("Authorization", auth).expect(200);
        expect(profile.body.data.user.avatar).to.equal(null);
      } finally {
        await hungApp.close();
        await fake.close();
      }
    });
  });
}
