import { expect, it } from "vitest";
import { testingPackage } from "./testing-package.js";

it("the testing README's property holds over generated sessions", { timeout: 120_000 }, () => {
  expect(() => testingPackage()).not.toThrow();
});
