// The hexagonal layer rule from ARCHITECTURE.md, checked in `npm run lint` so a violation fails CI
// instead of waiting for review. Dependencies point inward only:
//   infrastructure -> adapters -> application -> domain
// Type-only imports count too (tsPreCompilationDeps): a layer that needs another layer's types
// depends on it just as much.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-is-self-contained",
      severity: "error",
      comment:
        "src/domain imports nothing outside src/domain: no npm packages, no node builtins (crypto, " +
        "fs, ...), no other layer. Time and randomness reach the domain through ports (Clock, SecureRandom).",
      from: { path: "^src/domain/" },
      to: { pathNot: "^src/domain/" },
    },
    {
      name: "application-depends-on-domain-only",
      severity: "error",
      comment:
        "src/application (use cases and ports) imports only src/application, src/domain and the DI " +
        "decorators (tsyringe, reflect-metadata). No node builtins, no drivers, no adapters.",
      from: { path: "^src/application/" },
      to: {
        pathNot: ["^src/(application|domain)/", "(^|/)node_modules/(tsyringe|reflect-metadata)/"],
      },
    },
    {
      name: "adapters-not-to-infrastructure",
      severity: "error",
      comment:
        "Adapters get their clients and config through constructors; they never import the " +
        "composition root, config or clients from src/infrastructure.",
      from: { path: "^src/adapters/" },
      to: { path: "^src/infrastructure/" },
    },
    {
      name: "nothing-imports-infrastructure",
      severity: "error",
      comment:
        "src/infrastructure is the composition root: it imports everything and nothing in src imports it, " +
        "except src/index.ts, the package entry point, which only re-exports the library it builds.",
      // adapters have their own rule above; excluding them here avoids reporting the same edge twice
      from: { path: "^src/", pathNot: ["^src/(infrastructure|adapters)/", "^src/index\\.ts$"] },
      to: { path: "^src/infrastructure/" },
    },
    {
      name: "nothing-imports-the-entry-point",
      severity: "error",
      comment: "src/index.ts is for consumers of the package; inside src it would be a way around the rule above.",
      from: { path: "^src/" },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "src-not-to-test",
      severity: "error",
      comment: "Production code must not depend on test helpers.",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "no-circular",
      severity: "error",
      comment: "Circular dependencies make module load order matter (ESM TDZ errors) and blur the layers.",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-dev-dep",
      severity: "error",
      comment:
        "src ships to production, where devDependencies are absent. Move the package to " +
        "'dependencies' in package.json, or keep the import out of src. Type-only imports and " +
        "@types packages are erased at runtime and therefore allowed.",
      from: { path: "^src/" },
      to: {
        dependencyTypes: ["npm-dev"],
        dependencyTypesNot: ["type-only"],
        pathNot: ["node_modules/@types/"],
      },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "This import cannot be resolved, so the layer rules above cannot see where it points.",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-non-package-json",
      severity: "error",
      comment: "This npm package is not declared in package.json; it only works by accident of hoisting.",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules"] },
    exclude: { path: ["^(dist|drizzle|\\.data)/"] },
    // keep type-only imports (erased by tsc) in the graph: they are dependencies between layers too
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // `process.getBuiltinModule("node:crypto")` must not be a way around the domain rule
    detectProcessBuiltinModuleCalls: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      // NodeNext specifiers end in .js while the file on disk is .ts; dependency-cruiser maps
      // .js -> .ts/.d.ts itself when the .js does not exist (as tsc does); these keep it explicit.
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
