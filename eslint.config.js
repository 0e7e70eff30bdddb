import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "samples/", "coverage/", ".switchyard/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setImmediate: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The dashboard's front-end runs in the browser.
    files: ["src/http/dashboard/**/*.js"],
    languageOptions: {
      globals: { window: "readonly", document: "readonly", location: "readonly", history: "readonly", sessionStorage: "readonly", fetch: "readonly", Node: "readonly" },
    },
  },
);
