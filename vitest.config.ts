import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["core/**/*.test.ts", "electron/**/*.test.ts", "renderer/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // e2e suites start real servers on fixed port ranges; run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
