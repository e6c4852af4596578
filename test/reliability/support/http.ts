/**
 * A small HTTP client over node:http with keep-alive, used against in-process apps (listening
 * on a real port) and spawned server processes alike, plus a raw-socket sender for what Node's
 * client refuses to send (CRLF in header values, invalid methods, broken framing). Every request
 * is counted for the summary table.
 */
import http from "node:http";
import net from "node:net";
import { countRequests } from "./summary.js";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw body as text (latin1-safe for binary). */
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Time from sending to the last body byte. */
  ms: number;
  /** Set-Cookie name → value (the last one wins). */
  cookies: Record<string, string>;
}

export interface RequestOptions {
  headers?: Record<string, string | string[]>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is; set content-type yourself. */
  body?: string | Buffer;
  /** Sent as one Cookie header. */
  cookies?: Record<string, string>;
  timeoutMs?: number;
}

export class RequestTimeoutError extends Error {}

export class HttpClient {
  readonly #agent: http.Agent;
  readonly #url: URL;

  constructor(readonly baseUrl: string) {
    this.#url = new URL(baseUrl);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  get port(): number {
    return Number(this.#url.port);
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string | string[]> = { ...options.headers };
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers["content-type"] ??= "application/json";
    } else if (options.body !== undefined) {
      payload = typeof options.body === "string" ? Buffer.from(options.body) : options.body;
    }
    if (payload) headers["content-length"] = String(payload.length);
    if (options.cookies) {
      headers.cookie = Object.entries(options.cookies)
        .map(([k, v]) => `${k}=${v}`)
        .join("; ");
    }
    const timeoutMs = options.timeoutMs ?? 15_000;
    countRequests();
    return new Promise<HttpResponse>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        { host: this.#url.hostname, port: this.#url.port, method, path, headers, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown;
            if (/json/.test(String(res.headers["content-type"] ?? ""))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = undefined;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, ms: performance.now() - started, cookies: cookiesOf(res.headers) });
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new RequestTimeoutError(`${method} ${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  get(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.request("GET", path, options);
  }

  post(path: string, json?: unknown, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.request("POST", path, json === undefined ? options : { ...options, json });
  }

  patch(path: string, json?: unknown, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.request("PATCH", path, json === undefined ? options : { ...options, json });
  }

  delete(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.request("DELETE", path, options);
  }

  /** Drops pooled sockets (after the server behind them was killed). */
  reset(): void {
    this.#agent.destroy();
  }
}

export function cookiesOf(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of headers["set-cookie"] ?? []) {
    const pair = line.split(";")[0]!;
    const eq = pair.indexOf("=");
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export interface RawResponse {
  /** null when the server closed without a status line. */
  status: number | null;
  text: string;
}

/**
 * Writes `bytes` on a fresh TCP connection and reads until the server closes it or the first
 * response is complete. Send `Connection: close` to get a prompt close.
 */
export function rawRequest(port: number, bytes: Buffer | string, timeoutMs = 5_000): Promise<RawResponse> {
  countRequests();
  return new Promise<RawResponse>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new RequestTimeoutError(`raw request: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // The server may reset after answering a request it refused to parse.
      if (chunks.length > 0 || err.code === "ECONNRESET" || err.code === "EPIPE") finish();
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

function complete(buf: Buffer): boolean {
  const text = buf.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return buf.length >= end + 4 + Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return text.endsWith("0\r\n\r\n");
  return /^HTTP\/1\.[01] (1\d\d|204|304)/.test(head);
}
