import { describe, expect, test } from "vitest";
import { parseClientRule, unmapIpv4 } from "./clients.js";

describe("parseClientRule", () => {
  test.each([
    ["127.0.0.1", { family: "ipv4", address: "127.0.0.1", prefix: 32 }],
    ["10.0.0.0/8", { family: "ipv4", address: "10.0.0.0", prefix: 8 }],
    ["0.0.0.0/0", { family: "ipv4", address: "0.0.0.0", prefix: 0 }],
    ["::1", { family: "ipv6", address: "::1", prefix: 128 }],
    ["fd00::/8", { family: "ipv6", address: "fd00::", prefix: 8 }],
    ["::ffff:10.1.2.3", { family: "ipv4", address: "10.1.2.3", prefix: 32 }],
    ["::ffff:10.0.0.0/104", { family: "ipv4", address: "10.0.0.0", prefix: 8 }],
  ])("%s", (text, rule) => {
    expect(parseClientRule(text)).toEqual(rule);
  });

  test.each([["localhost"], ["10.0.0.0/33"], ["::/129"], ["10.0.0.0/"], ["10.0.0.0/x"], ["10.0.0.0/8/8"], ["fe80::1%eth0"], ["256.1.1.1"], [""]])(
    "%j is rejected",
    (text) => {
      expect(parseClientRule(text)).toBeUndefined();
    },
  );
});

test("unmapIpv4 turns IPv4-mapped IPv6 addresses into IPv4 and leaves others alone", () => {
  expect(unmapIpv4("::ffff:127.0.0.1")).toBe("127.0.0.1");
  expect(unmapIpv4("::FFFF:192.168.1.2")).toBe("192.168.1.2");
  expect(unmapIpv4("::1")).toBe("::1");
  expect(unmapIpv4("10.0.0.1")).toBe("10.0.0.1");
});
