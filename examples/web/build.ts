import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const EXAMPLE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DIST_DIR = path.join(EXAMPLE_DIR, "dist");

/**
 * Bundles src/main.ts into dist/app.js and copies the static files next to it. esbuild strips
 * the types without checking them; `npx tsc -p examples/web` checks them.
 */
export async function buildExample(options: { minify?: boolean } = {}): Promise<string> {
  await mkdir(DIST_DIR, { recursive: true });
  await build({
    entryPoints: [path.join(EXAMPLE_DIR, "src/main.ts")],
    outfile: path.join(DIST_DIR, "app.js"),
    bundle: true,
    format: "esm",
    target: "es2020",
    sourcemap: true,
    minify: options.minify ?? false,
    logLevel: "warning",
  });
  for (const file of ["index.html", "style.css"]) await copyFile(path.join(EXAMPLE_DIR, file), path.join(DIST_DIR, file));
  return DIST_DIR;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildExample({ minify: process.argv.includes("--minify") })
    .then((dir) => console.log(`example built into ${dir}`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
