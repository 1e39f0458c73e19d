// Reading a rate typed as a percent (web/app/src/ui/percent.ts): basis points, or null for text
// that is no percent with at most two decimals (the form says so under the field; the range is
// the database's to refuse).
import { expect, it } from "vitest";
import { bpsToPercent, percentToBps } from "../../web/app/src/ui/percent.ts";

it("reads what people type", () => {
  expect(["8.25", "8,25", " 20 % ", "20%", "100", "0", ".5", "8.", "8.29", "-1"].map(percentToBps)).toEqual([
    825, 825, 2000, 2000, 10000, 0, 50, 800, 829, -100,
  ]);
});

it("refuses what is no rate with two decimals at most, or too large to be one", () => {
  expect(["", "twenty", "8.875", "1.2.3", "99999999999999999999", "20000"].map(percentToBps)).toEqual([null, null, null, null, null, null]);
});

it("writes basis points back as the percent people typed", () => {
  expect([825, 800, 2000, 50, 0].map(bpsToPercent)).toEqual(["8.25", "8", "20", "0.5", "0"]);
});
