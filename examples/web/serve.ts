import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DIST_DIR, buildExample } from "./build.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export interface ExampleServerOptions {
  /** Where the API answers, e.g. http://localhost:9000 (injected into the page). */
  apiUrl: string;
  /** 0 picks a free port. */
  port?: number;
  /** Omit to listen on every local address (so "localhost" works over IPv4 and IPv6). */
  host?: string;
  /** Directory with the built files; default examples/web/dist. */
  root?: string;
}

export interface ExampleServer {
  server: http.Server;
  port: number;
  /** http://localhost:<port>: the origin to put in the API's CORS_ORIGIN and CLIENT_URL. */
  origin: string;
  close(): Promise<void>;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Serves the built example and writes the API base URL into index.html. */
export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const root = path.resolve(options.root ?? DIST_DIR);
  const apiOrigin = new URL(options.apiUrl).origin;
  const apiUrl = options.apiUrl.replace(/\/+$/, "");
  // The page talks to its own origin and the API only; avatars may come from the API or a CDN.
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${apiOrigin}`,
    `img-src 'self' data: blob: ${apiOrigin} https:`,
    "style-src 'self'",
    "script-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

  const server = http.createServer(async (req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { Allow: "GET, HEAD" }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      // Paths without an extension are app routes (the API redirects OAuth results to CLIENT_URL/...).
      const relative = pathname === "/" || !path.extname(pathname) ? "index.html" : pathname.slice(1);
      const file = path.resolve(root, relative);
      if (file !== root && !file.startsWith(root + path.sep)) {
        res.writeHead(404).end();
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found");
        return;
      }
      if (relative === "index.html") body = Buffer.from(body.toString("utf8").replace("%API_URL%", escapeAttribute(apiUrl)));
      res.writeHead(200, {
        "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "Content-Length": body.length,
        "Cache-Control": "no-store",
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(400).end();
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5173, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const apiUrl = process.env.EXAMPLE_API_URL ?? "http://localhost:9000";
  const port = Number(process.env.EXAMPLE_PORT ?? 5173);
  await buildExample();
  const example = await startExampleServer({ apiUrl, port });
  console.log(`example web client on ${example.origin} (API: ${apiUrl}; the API needs CORS_ORIGIN=${example.origin})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void example.close().then(() => process.exit(0)));
}
