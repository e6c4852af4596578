#!/usr/bin/env node
// The CLI is TypeScript, run through tsx like the server (`npm start`): register tsx's loader in
// this process (no second node process), then load the entry point. The package's own tsconfig
// (decorators) applies wherever the operator's working directory is.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
await import("../src/infrastructure/cli.ts");
