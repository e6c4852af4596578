module.exports = {
  "node-option": ["import=tsx"],
  extension: ["ts"],
  spec: ["test/unit/**/*.test.ts", "test/contract/**/*.test.ts", "test/http/**/*.test.ts"],
  reporter: "./test/support/summary-reporter.cjs",
  timeout: 20000,
  exit: true,
};
