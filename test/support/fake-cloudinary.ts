import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import busboy from "busboy";

/** How the stand-in misbehaves: a 500 with Cloudinary's error shape, no answer at all, or a dropped connection. */
export type FakeCloudinaryFailure = "status500" | "hang" | "close";

export interface ReceivedUpload {
  publicId: string;
  /** Every form field the SDK sent (signature, api_key, timestamp, folder, ...). */
  params: Record<string, string>;
  bytes: Buffer;
}

export interface FakeCloudinaryOptions {
  cloudName?: string;
  apiKey?: string;
  apiSecret?: string;
}

const FORMATS: Array<[string, (b: Buffer) => boolean]> = [
  ["png", (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ["jpg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ["gif", (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString("latin1"))],
  ["webp", (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP"],
];
const MIME: Record<string, string> = { png: "image/png", jpg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

/** Params the SDK does not sign (it adds them after computing the signature, or they select the endpoint). */
const UNSIGNED = new Set(["file", "api_key", "signature", "cloud_name", "resource_type"]);

/**
 * Cloudinary's signing rule as the SDK applies it (signature_version 2): sorted `key=value`
 * pairs, `&` inside a value escaped, joined with `&`, the secret appended, hashed.
 */
export function cloudinarySignature(params: Record<string, string>, secret: string, algorithm: "sha1" | "sha256" = "sha1"): string {
  const toSign = Object.entries(params)
    .filter(([k, v]) => !UNSIGNED.has(k) && v !== "")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`.replace(/&/g, "%26"))
    .join("&");
  return createHash(algorithm).update(toSign + secret).digest("hex");
}

/**
 * A local stand-in for the parts of Cloudinary's API the avatar adapter uses, answered to the
 * real SDK: signed multipart upload and destroy under /v1_1/<cloud>/image/..., the Admin API ping
 * (basic auth), and delivery of what was uploaded under the returned secure_url. It records what
 * it received and can be told to fail.
 */
export class FakeCloudinary {
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly uploads: ReceivedUpload[] = [];
  readonly destroys: Array<{ publicId: string; params: Record<string, string> }> = [];
  /** Requests refused for a missing or wrong signature / credentials. */
  readonly rejected: Array<{ path: string; reason: string }> = [];
  pings = 0;
  /** Currently stored assets by public id. */
  readonly assets = new Map<string, { bytes: Buffer; format: string; version: number }>();

  private failure: { mode: FakeCloudinaryFailure; remaining: number } | null = null;
  private readonly hanging = new Set<http.ServerResponse>();
  private server!: http.Server;
  private port = 0;

  private constructor(options: FakeCloudinaryOptions) {
    this.cloudName = options.cloudName ?? "fake-cloud";
    this.apiKey = options.apiKey ?? "123456789012345";
    this.apiSecret = options.apiSecret ?? `secret-${randomBytes(8).toString("hex")}`;
  }

  static async start(options: FakeCloudinaryOptions = {}): Promise<FakeCloudinary> {
    const fake = new FakeCloudinary(options);
    fake.server = http.createServer((req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) fake.json(res, 500, { error: { message: String(err) } });
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** CLOUDINARY_URL pointing the SDK at this stand-in. */
  get cloudinaryUrl(): string {
    return `cloudinary://${this.apiKey}:${this.apiSecret}@${this.cloudName}?upload_prefix=${encodeURIComponent(this.baseUrl)}`;
  }

  /** The three-value form plus the API base. */
  get config(): { cloudName: string; apiKey: string; apiSecret: string; uploadPrefix: string } {
    return { cloudName: this.cloudName, apiKey: this.apiKey, apiSecret: this.apiSecret, uploadPrefix: this.baseUrl };
  }

  /** Makes the next `times` API calls (upload, destroy, ping) fail in the given way. */
  failWith(mode: FakeCloudinaryFailure, times = Number.POSITIVE_INFINITY): void {
    this.failure = { mode, remaining: times };
  }

  heal(): void {
    this.failure = null;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const api = /^\/v1_1\/([^/]+)\/(image\/upload|image\/destroy|ping)$/.exec(url.pathname);
    if (api) {
      if (api[1] !== this.cloudName) return this.json(res, 404, { error: { message: `Unknown cloud ${api[1]}` } });
      if (this.injectFailure(req, res)) return;
      if (api[2] === "ping") return this.ping(req, res);
      if (req.method !== "POST") return this.json(res, 404, { error: { message: "Not found" } });
      const form = await readForm(req);
      const problem = this.checkSignature(form.fields);
      if (problem) {
        this.rejected.push({ path: url.pathname, reason: problem });
        return this.json(res, 401, { error: { message: problem } });
      }
      return api[2] === "image/upload" ? this.upload(form, res) : this.destroy(form.fields, res);
    }
    const delivery = new RegExp(`^/${this.cloudName}/image/upload/v(\\d+)/(.+)\\.(png|jpg|gif|webp)$`).exec(url.pathname);
    const asset = delivery ? this.assets.get(decodeURIComponent(delivery[2]!)) : undefined;
    if (req.method === "GET" && asset) {
      res.writeHead(200, { "Content-Type": MIME[asset.format]!, "Content-Length": asset.bytes.length });
      res.end(asset.bytes);
      return;
    }
    this.json(res, 404, { error: { message: "Resource not found" } });
  }

  private injectFailure(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!this.failure || this.failure.remaining <= 0) return false;
    this.failure.remaining -= 1;
    const { mode } = this.failure;
    if (mode === "status500") {
      req.resume();
      this.json(res, 500, { error: { message: "General Error" } });
    } else if (mode === "hang") {
      req.resume();
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
    } else {
      req.socket.destroy();
    }
    return true;
  }

  private ping(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const expected = `Basic ${Buffer.from(`${this.apiKey}:${this.apiSecret}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      this.rejected.push({ path: "ping", reason: "bad credentials" });
      return this.json(res, 401, { error: { message: "Invalid credentials" } });
    }
    this.pings += 1;
    this.json(res, 200, { status: "ok" });
  }

  private checkSignature(fields: Record<string, string>): string | null {
    if (!fields.signature) return "Missing required parameter - signature";
    if (fields.api_key !== this.apiKey) return "Invalid api_key";
    const timestamp = Number(fields.timestamp);
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 3600) return "Stale request - timestamp";
    const algorithm = fields.signature.length === 64 ? "sha256" : "sha1";
    if (fields.signature !== cloudinarySignature(fields, this.apiSecret, algorithm)) return "Invalid Signature";
    return null;
  }

  private upload(form: Form, res: http.ServerResponse): void {
    if (!form.file) return this.json(res, 400, { error: { message: "Missing required parameter - file" } });
    const format = FORMATS.find(([, test]) => test(form.file!))?.[0];
    if (!format) return this.json(res, 400, { error: { message: "Invalid image file" } });
    const folder = form.fields.folder ?? "";
    const publicId = form.fields.public_id ?? `${folder ? `${folder}/` : ""}${randomBytes(10).toString("hex")}`;
    const version = Math.floor(Date.now() / 1000);
    this.assets.set(publicId, { bytes: form.file, format, version });
    this.uploads.push({ publicId, params: form.fields, bytes: form.file });
    const path = `/${this.cloudName}/image/upload/v${version}/${publicId}.${format}`;
    this.json(res, 200, {
      asset_id: randomBytes(16).toString("hex"),
      public_id: publicId,
      version,
      version_id: randomBytes(16).toString("hex"),
      signature: randomBytes(20).toString("hex"),
      width: 1,
      height: 1,
      format,
      resource_type: "image",
      created_at: new Date().toISOString(),
      tags: [],
      bytes: form.file.length,
      type: "upload",
      etag: createHash("md5").update(form.file).digest("hex"),
      placeholder: false,
      url: `${this.baseUrl}${path}`,
      // Real Cloudinary answers https://res.cloudinary.com/...; the stand-in delivers what it stored itself.
      secure_url: `${this.baseUrl}${path}`,
      folder,
      asset_folder: folder,
      original_filename: "file",
      api_key: this.apiKey,
    });
  }

  private destroy(fields: Record<string, string>, res: http.ServerResponse): void {
    const publicId = fields.public_id ?? "";
    this.destroys.push({ publicId, params: fields });
    const existed = this.assets.delete(publicId);
    this.json(res, 200, { result: existed ? "ok" : "not found" });
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  }
}

interface Form {
  fields: Record<string, string>;
  file: Buffer | null;
}

function readForm(req: http.IncomingMessage): Promise<Form> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: Buffer | null = null;
    const parser = busboy({ headers: req.headers });
    parser.on("field", (name, value) => {
      // Arrays arrive as repeated `key[]`; Cloudinary signs them comma-joined under the bare key.
      if (name.endsWith("[]")) {
        const key = name.slice(0, -2);
        fields[key] = fields[key] ? `${fields[key]},${value}` : value;
      } else fields[name] = value;
    });
    parser.on("file", (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        file = Buffer.concat(chunks);
      });
    });
    parser.on("close", () => resolve({ fields, file }));
    parser.on("error", reject);
    req.pipe(parser);
  });
}
