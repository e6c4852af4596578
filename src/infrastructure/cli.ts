import "dotenv/config";
import { runCli, type CliIo } from "../adapters/cli/cli.js";
import { createCliHost } from "./cli-host.js";

/** `npx hybrid-auth <command>` (bin/hybrid-auth.js loads this through tsx). */
const io: CliIo = {
  out: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  async readStdin() {
    if (process.stdin.isTTY) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
};

const status = await runCli(process.argv.slice(2), io, createCliHost(process.env));
process.exitCode = status;
// Everything is closed by now; should a handle still hold the event loop, leave anyway.
setTimeout(() => process.exit(status), 2_000).unref();
