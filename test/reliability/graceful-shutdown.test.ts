import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { RELAXED_RATE_LIMITS } from "../support/http-harness.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL, requirePostgres, requireRedis } from "../support/services.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface RunningServer {
  child: ChildProcess;
  port: number;
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node --import tsx src/infrastructure/server.ts` with PORT=0; resolves once it logs its port. */
async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/infrastructure/server.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s: ${stderr}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (/listening/.test(String(entry.msg))) {
            clearTimeout(timer);
            resolve(entry.port as number);
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return { child, port, lines, exited };
}

function waitForLine(server: RunningServer, pattern: RegExp, ms = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const found = server.lines.find((l) => pattern.test(String(l.msg)));
      if (found) return resolve(found);
      if (Date.now() > deadline) return reject(new Error(`no log line matching ${pattern}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function connect(port: number): Promise<"connected" | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe("Graceful shutdown of the real server process", function () {
  this.timeout(40_000);
  let server: RunningServer | undefined;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
  });
  after(() => {
    if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
  });

  it("SIGTERM: the in-flight request completes, new connections are refused, PostgreSQL and Redis are closed, exit code 0", async () => {
    server = await startServer({
      NODE_ENV: "test",
      PORT: "0",
      LOG_LEVEL: "info",
      DATA_DIR: path.join(os.tmpdir(), `hybrid-auth-shutdown-${randomUUID()}`),
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      JWT_ACCESS_SECRET: "shutdown-access-secret-0123456789abcdef0123456789",
      JWT_REFRESH_SECRET: "shutdown-refresh-secret-0123456789abcdef012345678",
      CRYPTO_SECRET: "shutdown-crypto-secret-0123456789abcdef0123456789",
      BCRYPT_COST: "4",
      RATE_LIMITS: RELAXED_RATE_LIMITS,
      PURGE_INTERVAL_SECONDS: "0",
    });
    const { port } = server;
    expect(port).to.be.a("number").and.above(0);
    expect(await connect(port)).to.equal("connected");

    // A slow client: headers and half of the body now, the rest after SIGTERM. The agent keeps
    // connections alive, as browsers and proxies do.
    const agent = new http.Agent({ keepAlive: true });
    const body = JSON.stringify({ name: "Slow", email: `slow-${randomUUID().slice(0, 8)}@example.test`, password: "correct horse battery", confirmPassword: "correct horse battery" });
    const response = new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", path: "/api/v1/auth/signup", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body: text, connection: res.headers.connection }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        server!.child.kill("SIGTERM");
        void waitForLine(server!, /shutting down/).then(async () => {
          // While that request is still open, the listening socket is already gone.
          expect(await connect(port)).to.equal("ECONNREFUSED");
          req.end(body.slice(20));
        }, reject);
      }, 300);
    });

    const started = Date.now();
    const res = await response;
    expect(res.status, res.body).to.equal(201);
    expect(JSON.parse(res.body)).to.include({ success: true, statusCode: 201 });
    // The kept-alive client is told not to reuse a connection that is about to close.
    expect(res.connection).to.equal("close");

    const exit = await server.exited;
    agent.destroy();
    expect(exit).to.deep.equal({ code: 0, signal: null });
    // Not held up by the kept-alive connection or the force-close timer.
    expect(Date.now() - started).to.be.below(5000);
    const messages = server.lines.map((l) => String(l.msg));
    expect(messages).to.include("stopped");
    expect(messages.join("\n")).to.not.match(/error while closing|did not finish in time|still open/);
    // The signup was answered before the database and Redis were closed, and logged as such.
    expect(server.lines.some((l) => l.msg === "request" && l.status === 201)).to.equal(true);
  });
});
