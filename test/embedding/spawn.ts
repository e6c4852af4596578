import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/hybrid-auth.js", import.meta.url));

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a node script as its own process, as a user would from a shell: a clean environment
 * (only PATH and the temp dir from ours, plus `env`), stdin closed after `stdin`.
 */
export function runNode(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<ProcessResult> {
  const started = Date.now();
  const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
  for (const name of ["TMPDIR", "HOME"]) if (process.env[name]) env[name] = process.env[name]!;
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${args.join(" ")} did not finish within ${options.timeoutMs ?? 30_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `npx hybrid-auth <args>`: the bin npx runs, started the way npx starts it. */
export function hybridAuth(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<ProcessResult> {
  return runNode([BIN, ...args], options);
}
