/**
 * `npm run example:web`: the API (what `npm start` runs) and the example client side by side.
 *
 *   API     http://localhost:9000   (PORT)
 *   client  http://localhost:5173   (EXAMPLE_PORT)
 *
 * The client calls the API from another origin with credentials, so the API must allow that
 * origin: this script sets CORS_ORIGIN and CLIENT_URL to the client's origin unless they are
 * already set. Ctrl-C (SIGINT) or SIGTERM stops both.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { EXAMPLE_DIR, buildExample } from "./build.js";
import { startExampleServer } from "./serve.js";

const ROOT = path.resolve(EXAMPLE_DIR, "../..");
const apiPort = Number(process.env.PORT ?? 9000);
const examplePort = Number(process.env.EXAMPLE_PORT ?? 5173);
const exampleOrigin = `http://localhost:${examplePort}`;
const apiUrl = process.env.EXAMPLE_API_URL ?? `http://localhost:${apiPort}`;

await buildExample();
const example = await startExampleServer({ apiUrl, port: examplePort });

// What `npm start` runs, without npm and a shell in between: they do not pass SIGTERM on.
const api = spawn(process.execPath, ["--import", "tsx", "src/infrastructure/server.ts"], {
  cwd: ROOT,
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: String(apiPort),
    CORS_ORIGIN: process.env.CORS_ORIGIN ?? exampleOrigin,
    // OAuth results and mailed links come back to the client.
    CLIENT_URL: process.env.CLIENT_URL ?? exampleOrigin,
  },
});
console.log(`example web client on ${example.origin}, API on ${apiUrl} (CORS_ORIGIN=${process.env.CORS_ORIGIN ?? exampleOrigin})`);

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  if (api.exitCode === null && api.signalCode === null) api.kill(signal);
  void example.close();
  // The API drains in-flight requests for up to 10 s; do not wait forever.
  setTimeout(() => api.kill("SIGKILL"), 15_000).unref();
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

api.on("exit", (code, signal) => {
  void example.close().then(() => {
    if (!stopping) console.error(`the API stopped (${signal ?? `exit ${code}`}); stopping the example too`);
    process.exit(stopping ? 0 : (code ?? 1));
  });
});
