/**
 * Processes this suite owns: server instances (the real entry point, src/infrastructure/server.ts)
 * and redis-server instances on spare ports. Each is killed by its own pid when the test ends,
 * and on process exit as a last resort, so a failing run leaves nothing listening.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_ENV } from "./app.js";
import { HttpClient } from "./http.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const owned = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of owned) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** A port nothing listens on right now (the OS picks it, then we release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hybrid-auth-rel-${label}-`));
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited(child);
  clearTimeout(timer);
  owned.delete(child);
}

// ---------------------------------------------------------------------------------------------

/** Secrets shared by every instance of one deployment (tokens issued by one verify on the other). */
export const SHARED_SECRETS: Record<string, string> = {
  JWT_ACCESS_SECRET: "reliability-access-secret-0123456789abcdef0123",
  JWT_REFRESH_SECRET: "reliability-refresh-secret-0123456789abcdef012",
  CRYPTO_SECRET: "reliability-crypto-secret-0123456789abcdef01234",
};

export interface ServerProcess {
  port: number;
  client: HttpClient;
  dataDir: string;
  child: ChildProcess;
  /** Everything it printed so far (pino JSON lines), for failure messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `src/infrastructure/server.ts` as its own node process (node --import tsx, one
 * process: `npx tsx` would put a wrapper in between that SIGKILL does not reach through).
 */
export async function startServer(env: Record<string, string>, options: { dataDir?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = options.dataDir ?? tmpDir("server");
  const fullEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    BCRYPT_COST: "4",
    DATA_DIR: dataDir,
    CORS_ORIGIN: "http://localhost:3000",
    PURGE_INTERVAL_SECONDS: "0",
    ...SHARED_SECRETS,
    ...BASE_ENV,
    ...env,
    PORT: String(port),
  };
  // Only what we pass: a developer's .env must not leak into the instance under test.
  const child = spawn(process.execPath, ["--import", "tsx", "src/infrastructure/server.ts"], {
    cwd: REPO_ROOT,
    env: { ...fullEnv, DOTENV_CONFIG_PATH: path.join(dataDir, "no.env") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  owned.add(child);
  let log = "";
  const keep = (c: Buffer) => {
    log = (log + c.toString("utf8")).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const client = new HttpClient(`http://127.0.0.1:${port}`);
  const server: ServerProcess = {
    port,
    client,
    dataDir,
    child,
    output: () => log,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      client.reset();
      await stop(child, signal);
    },
  };
  try {
    await waitFor(
      `server on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${log}`);
        return portOpen(port);
      },
      30_000,
    );
  } catch (err) {
    await server.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return server;
}

// ---------------------------------------------------------------------------------------------

export interface RedisProcess {
  port: number;
  url: string;
  dir: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (AOF replayed). */
  restart(): Promise<void>;
  cli(...args: string[]): string;
}

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"]).status === 0;
}

/**
 * A redis-server of our own: durable (every write fsynced to the AOF before the reply) so
 * data committed before a crash is there after a restart.
 */
export async function startRedis(extraArgs: string[] = [], options: { port?: number; dir?: string } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? tmpDir(`redis-${port}`);
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no", ...extraArgs],
      { stdio: "ignore" },
    );
    owned.add(child);
    await waitFor(`redis-server on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
      return cli("ping") === "PONG";
    });
  };
  const cli = (...args: string[]) =>
    spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8", timeout: 5_000 }).stdout.trim();
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop: (signal: NodeJS.Signals = "SIGKILL") => stop(child, signal),
    restart: launch,
    cli,
  };
}

export function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}
