module.exports = {
  "node-option": ["import=tsx"],
  extension: ["ts"],
  reporter: "./test/support/summary-reporter.cjs",
  timeout: 20000,
  exit: true,
};
