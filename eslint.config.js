// Lint for real mistakes, not style: tsc already checks types, dependency-cruiser checks layers.
// Rules are syntactic only (no type-aware linting) so `npm run lint` stays fast.
import { defineConfig, globalIgnores } from "eslint/config";
import { builtinRules } from "eslint/use-at-your-own-risk";
import tseslint from "typescript-eslint";

// @eslint/js is not installed (and package.json is fixed), so take ESLint's own "recommended"
// set from the rule metadata it ships with; that is exactly what @eslint/js would list.
const eslintRecommended = Object.fromEntries(
  [...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, "error"]),
);

// Only JS files need these (tsc resolves names in .ts); the running Node knows its own globals.
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, "readonly"]));
const commonJsGlobals = { require: "readonly", module: "writable", exports: "writable", __dirname: "readonly", __filename: "readonly" };

const TS_FILES = ["**/*.ts", "**/*.mts", "**/*.cts"];

export default defineConfig([
  globalIgnores([
    "**/node_modules/",
    "dist/",
    "drizzle/",
    ".data/",
    "bench/results/",
    "examples/**/dist/",
    "coverage/",
    "test-output/",
    // Local, git-ignored experiments.
    ".scratch/",
  ]),

  {
    linterOptions: { reportUnusedDisableDirectives: "warn" },
    rules: {
      ...eslintRecommended,
      // An empty catch is how cleanup code says "already gone is fine".
      "no-empty": ["error", { allowEmptyCatch: true }],
      "no-unused-vars": [
        "error",
        { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },

  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: nodeGlobals },
  },
  {
    // test/support/*.cjs (the mocha reporter) and dot-configs like .mocharc.cjs are CommonJS.
    files: ["**/*.cjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "commonjs", globals: { ...nodeGlobals, ...commonJsGlobals } },
  },

  {
    files: TS_FILES,
    extends: [tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-explicit-any": "warn",
      // `interface KoaState extends AuthState {}` is how module augmentation is written.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
    },
  },

  {
    // chai's property assertions (`expect(x).to.be.true`) are expressions by design.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
]);
