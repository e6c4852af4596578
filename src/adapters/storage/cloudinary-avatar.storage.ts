import http from "node:http";
import https from "node:https";
import { v2 as cloudinary } from "cloudinary";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../application/ports/avatar-storage.port.js";
import type { Logger } from "../../application/ports/logger.port.js";
import { StorageUnavailableError } from "../../domain/errors.js";

/**
 * Either CLOUDINARY_URL (`cloudinary://key:secret@cloud?upload_prefix=...`, the SDK's own query
 * options honoured) or the three values, optionally with the API base (`uploadPrefix`).
 */
export type CloudinaryStorageConfig =
  | { url: string }
  | { cloudName: string; apiKey: string; apiSecret: string; uploadPrefix?: string };

export interface CloudinaryAvatarStorageOptions {
  /** Folder the avatars go to; default "hybrid-auth/avatars". */
  folder?: string;
  /** Per call; default 10 s. A slower answer is a failure, never a hung request. */
  timeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_FOLDER = "hybrid-auth/avatars";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_API = "https://api.cloudinary.com";

/** The SDK option names; everything is passed per call, never through the SDK's global config. */
type SdkOptions = Record<string, string> & { cloud_name: string; api_key: string; api_secret: string };

function sdkOptionsOf(config: CloudinaryStorageConfig): SdkOptions {
  if ("url" in config) {
    const url = new URL(config.url);
    if (url.protocol !== "cloudinary:") throw new Error("CLOUDINARY_URL must start with cloudinary://");
    const options: Record<string, string> = {};
    // The same query options the SDK reads from CLOUDINARY_URL (upload_prefix, secure_distribution, ...).
    url.searchParams.forEach((value, key) => {
      options[key] = value;
    });
    const out = {
      ...options,
      cloud_name: url.hostname,
      api_key: decodeURIComponent(url.username),
      api_secret: decodeURIComponent(url.password),
    };
    if (!out.cloud_name || !out.api_key || !out.api_secret) throw new Error("CLOUDINARY_URL must hold the cloud name, API key and API secret");
    return out;
  }
  const out: SdkOptions = { cloud_name: config.cloudName, api_key: config.apiKey, api_secret: config.apiSecret };
  if (config.uploadPrefix) out.upload_prefix = config.uploadPrefix;
  return out;
}

interface SdkError {
  message?: unknown;
  http_code?: unknown;
  name?: unknown;
}

/** Only what helps an operator: the SDK's errors carry the request options, credentials included. */
function describe(err: unknown): Record<string, unknown> {
  // Admin API rejections wrap the error (next to the request options) in `error`.
  const outer = (err ?? {}) as SdkError & { error?: SdkError };
  const e = outer.error && typeof outer.error === "object" ? outer.error : outer;
  return {
    name: typeof e.name === "string" ? e.name : undefined,
    httpCode: typeof e.http_code === "number" ? e.http_code : undefined,
    message: typeof e.message === "string" ? e.message.slice(0, 200) : undefined,
  };
}

/**
 * Avatars on Cloudinary through the official SDK (v2). Credentials and the API base travel with
 * every call instead of through `cloudinary.config()`: that global is shared by every instance in
 * the process and is filled from process.env.CLOUDINARY_URL behind our back. The SDK also picks
 * http or https once, at load time, from that variable; passing our own agent per call makes the
 * transport follow *this* instance's API base instead.
 */
export class CloudinaryAvatarStorage implements AvatarStorage {
  private readonly sdk: SdkOptions;
  private readonly folder: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;

  constructor(config: CloudinaryStorageConfig, options: CloudinaryAvatarStorageOptions = {}) {
    this.sdk = sdkOptionsOf(config);
    this.folder = options.folder ?? DEFAULT_FOLDER;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logger = options.logger;
  }

  async store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar> {
    const result = await this.call<Record<string, unknown>>("upload", (agent) =>
      new Promise((resolve, reject) => {
        const stream = cloudinary.uploader.upload_stream(
          {
            ...this.callOptions(agent),
            folder: this.folder,
            resource_type: "image",
            allowed_formats: ["jpg", "png", "webp", "gif"],
            unique_filename: true,
            use_filename: false,
            overwrite: false,
            disable_promises: true,
          },
          (err, res) => (err || !res ? reject(err ?? new Error("empty upload response")) : resolve(res as unknown as Record<string, unknown>)),
        );
        stream.on("error", reject);
        stream.end(Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength));
      }),
    );
    const key = result.public_id;
    const url = result.secure_url ?? result.url;
    if (typeof key !== "string" || !key || typeof url !== "string" || !url) {
      this.logger?.warn({ dependency: "imageStorage" }, "cloudinary upload answered without public_id or secure_url");
      throw new StorageUnavailableError();
    }
    return { url, key };
  }

  async remove(key: string): Promise<void> {
    const result = await this.call<{ result?: unknown }>("destroy", (agent) => {
      const options = { ...this.callOptions(agent), resource_type: "image" as const, invalidate: true };
      return cloudinary.uploader.destroy(key, options);
    });
    // "not found": already gone, which is what the caller wanted.
    if (result?.result === "ok" || result?.result === "not found") return;
    this.logger?.warn({ dependency: "imageStorage", result: String(result?.result) }, "cloudinary destroy did not confirm");
    throw new StorageUnavailableError();
  }

  /** The Admin API's ping: authenticated, cheap, and touches no asset. */
  async ping(): Promise<void> {
    await this.call("ping", (agent) => cloudinary.api.ping(this.callOptions(agent)));
  }

  private callOptions(agent: http.Agent): Record<string, unknown> {
    return { ...this.sdk, agent, timeout: this.timeoutMs };
  }

  /**
   * One agent per call, destroyed afterwards: its sockets die with it, so a call abandoned at the
   * deadline leaves nothing open. The SDK's own timeout aborts uploads, but not Admin API calls,
   * hence the outer deadline.
   */
  private async call<T>(what: string, run: (agent: http.Agent) => Promise<T>): Promise<T> {
    const base = this.sdk.upload_prefix ?? DEFAULT_API;
    const agent = base.startsWith("http:") ? new http.Agent({ keepAlive: false }) : new https.Agent({ keepAlive: false });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(agent),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject({ name: "TimeoutError", message: `no answer within ${this.timeoutMs} ms` }), this.timeoutMs + 250);
        }),
      ]);
    } catch (err) {
      this.logger?.warn({ dependency: "imageStorage", call: what, error: describe(err) }, "cloudinary call failed");
      throw new StorageUnavailableError();
    } finally {
      clearTimeout(timer);
      agent.destroy();
    }
  }
}
