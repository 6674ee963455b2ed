import { describe, expect, it } from "vitest";
import { routeOf } from "./route.js";

describe("routeOf", () => {
  it("opens the add-share form on #add, also beside the browser's token, and a share's form on #edit=", () => {
    expect(["#add", "#add&token=abc", "#token=abc&add", "#edit=My%20Photos", "#token=abc", "", "#"].map(routeOf)).toEqual([
      { mode: "add" },
      { mode: "add" },
      { mode: "add" },
      { mode: "edit", name: "My Photos" },
      null,
      null,
      null,
    ]);
  });
});
