import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IpAddr, parseIpAddr } from "../../stdlib/index.js";
import { parseIpAddrGeneral, readIpV4 } from "../../stdlib/ipaddr.js";

const ip = (s: string) => IpAddr.parse(s);

describe("ip parsing", () => {
  it.each([
    ["0.0.0.0", 4, 0n, 32],
    ["192.168.0.1", 4, 0xc0a80001n, 32],
    ["255.255.255.255/0", 4, 0xffffffffn, 0],
    ["10.0.0.0/8", 4, 0x0a000000n, 8],
    ["::", 6, 0n, 128],
    ["::1", 6, 1n, 128],
    ["1::", 6, 1n << 112n, 128],
    ["1:2:3:4:5:6:7::", 6, 0x0001000200030004000500060007_0000n, 128],
    ["::2:3:4:5:6:7:8", 6, 0x0000000200030004000500060007_0008n, 128],
    ["FFFF::1", 6, (0xffffn << 112n) | 1n, 128],
    ["2001:DB8::/32", 6, 0x20010db8n << 96n, 32],
    ["1:2:3:4:5:6:7:8/128", 6, 0x00010002000300040005000600070008n, 128],
    ["0:0:0:0:0:0:0:0", 6, 0n, 128],
    ["::/0", 6, 0n, 0],
  ])("accepts %s", (text, version, addr, prefix) => {
    const r = ip(text);
    expect([r.version, r.addr, r.prefix]).toEqual([version, addr, prefix]);
  });

  it.each([
    "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3.4/", "/8", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/+8",
    "1.2.3.4/ 8", "1.2.3.4/8/8", "1.2.3.4%eth0", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "1.2.3.1000",
    "::ffff:1.2.3.4", "::1.2.3.4", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::2::3", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
    "00001::", "fe80::1%eth0", "[::1]", "::1/129", "::1/000", "::1/0128", "::1/01", ":1::", "1:::2", "g::", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7",
  ])("rejects %j", (text) => {
    expect(typeof parseIpAddr(text)).toBe("string");
  });
});

describe("ip semantics", () => {
  it("isIpv4 / isIpv6", () => {
    expect(ip("127.0.0.1").isIpv4()).toBe(true);
    expect(ip("127.0.0.1").isIpv6()).toBe(false);
    expect(ip("::1").isIpv6()).toBe(true);
    expect(ip("::1").isIpv4()).toBe(false);
  });

  it.each([
    ["127.0.0.1", true],
    ["127.255.255.255/8", true],
    ["127.0.0.1/7", false],
    ["127.0.0.1/4", false],
    ["128.0.0.1", false],
    ["::1", true],
    ["::1/127", false],
    ["::ffff:7f00:1", false],
  ])("isLoopback(%s) = %s", (text, want) => {
    expect(ip(text).isLoopback()).toBe(want);
  });

  it.each([
    ["224.0.0.1", true],
    ["239.255.255.255", true],
    ["224.0.0.1/3", false],
    ["ff02::1", true],
    ["ff00::/8", true],
    ["ff00::/7", false],
    ["127.0.0.1", false],
  ])("isMulticast(%s) = %s", (text, want) => {
    expect(ip(text).isMulticast()).toBe(want);
  });

  it.each([
    ["10.1.2.3", "10.0.0.0/8", true],
    ["10.0.0.0/8", "10.0.0.0/8", true],
    ["10.0.0.0/7", "10.0.0.0/8", false],
    ["192.168.1.0/24", "192.168.0.0/16", true],
    ["192.169.0.1", "192.168.0.0/16", false],
    ["1.2.3.4", "0.0.0.0/0", true],
    ["::1", "0.0.0.0/0", false],
    ["1.2.3.4", "::/0", false],
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
  ])("%s isInRange %s = %s", (a, b, want) => {
    expect(ip(a).isInRange(ip(b))).toBe(want);
  });

  it("equality includes the prefix but not a written full-length prefix", () => {
    expect(ip("192.168.0.1/24").equals(ip("192.168.0.0/24"))).toBe(false);
    expect(ip("1.2.3.4").equals(ip("1.2.3.4/32"))).toBe(true);
    expect(ip("::1").equals(ip("0:0:0:0:0:0:0:1"))).toBe(true);
    expect(ip("::").equals(ip("0.0.0.0"))).toBe(false);
    expect(ip("::1").key()).toBe(ip("0::1/128").key());
  });

  it("prints canonical text that parses back to an equal value", () => {
    expect(ip("2001:DB8:0:0:1:0:0:1").text()).toBe("2001:db8::1:0:0:1");
    expect(ip("1:0:0:2:0:0:0:3").text()).toBe("1:0:0:2::3");
    expect(ip("1:2:3:4:5:6:7:0").text()).toBe("1:2:3:4:5:6:7:0");
    expect(ip("10.0.0.0/8").toString()).toBe('ip("10.0.0.0/8")');
    const v4 = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 })).map(([a, p]) => new IpAddr(4, a, p));
    const v6 = fc
      .tuple(fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xabc), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }))
      .map(([gs, p]) => new IpAddr(6, gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n), p));
    fc.assert(
      fc.property(fc.oneof(v4, v6), (v) => {
        expect(ip(v.text()).equals(v)).toBe(true);
      }),
    );
  });
});

/** IP-like text: well-formed IPv4 and IPv6 forms with and without prefixes, near misses, and arbitrary strings. */
const ipLikeText: fc.Arbitrary<string> = (() => {
  const octet = fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom("00", "01", "256", "999", "1000", "", "-1", "0x1", " 1") });
  const v4 = fc.oneof({ weight: 4, arbitrary: fc.array(octet, { minLength: 4, maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(octet, { minLength: 3, maxLength: 5 }) }).map((os) => os.join("."));
  const group = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16)), fc.constantFrom("0", "0000", "ABCD", "fFfF", "00000", "g", ""));
  const v6 = fc.oneof(
    fc.array(group, { minLength: 7, maxLength: 9 }).map((gs) => gs.join(":")),
    fc.tuple(fc.array(group, { maxLength: 8 }), fc.array(group, { maxLength: 8 })).map(([a, b]) => `${a.join(":")}::${b.join(":")}`),
    fc.constantFrom("::", "::1", "::ffff:1.2.3.4", "1:::2", ":1", "1:", "fe80::1%eth0", "[::1]"),
  );
  const prefix = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 130 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom("", "00", "01", "032", "1a", " 8", "8/8", "+8", "32") });
  const withPrefix = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(a, fc.option(prefix, { nil: undefined })).map(([x, p]) => (p === undefined ? x : `${x}/${p}`));
  return fc.oneof(withPrefix(v4), withPrefix(v6), fc.string({ unit: fc.constantFrom(..."0123456789.:/abfAF x") }), fc.string());
})();

describe("the one-pass IPv4 reader", () => {
  it("reads common forms with their canonical text", () => {
    expect(readIpV4("10.1.2.3")?.text()).toBe("10.1.2.3");
    expect(readIpV4("10.1.2.3/32")?.text()).toBe("10.1.2.3");
    expect(readIpV4("10.0.0.0/8")?.text()).toBe("10.0.0.0/8");
    expect(readIpV4("0.0.0.0/0")?.equals(ip("0.0.0.0/0"))).toBe(true);
    for (const bad of ["01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/100", "::1", "1.2.3.4/8/8"]) expect(readIpV4(bad)).toBeUndefined();
  });

  it("always agrees with the general parser: same value and text, or it leaves the text to it", () => {
    fc.assert(
      fc.property(ipLikeText, (s) => {
        const fast = readIpV4(s);
        const general = parseIpAddrGeneral(s);
        if (fast === undefined) {
          // Only IPv6 or text the general parser refuses is left to it.
          expect(typeof general === "string" || general.version === 6).toBe(true);
          return;
        }
        expect(general).toBeInstanceOf(IpAddr);
        const g = general as IpAddr;
        expect([fast.version, fast.addr, fast.prefix, fast.key()]).toEqual([g.version, g.addr, g.prefix, g.key()]);
        expect(fast.text()).toBe(g.text());
        expect(parseIpAddr(s)).toEqual(general);
      }),
      { numRuns: 3000 },
    );
  });

  it("parseIpAddr gives what the general parser gives, error messages included", () => {
    fc.assert(
      fc.property(ipLikeText, (s) => {
        const r = parseIpAddr(s);
        const g = parseIpAddrGeneral(s);
        if (typeof g === "string") expect(r).toBe(g);
        else expect(r instanceof IpAddr && r.equals(g) && r.text() === g.text()).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("IPv4 ranges", () => {
  it("isInRange (compared in Numbers for IPv4) always agrees with the BigInt range bounds", () => {
    const v4 = fc
      .tuple(fc.oneof(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.constantFrom(0n, 0x0a000000n, 0x0affffffn, 0xffffffffn, 0x7f000001n)), fc.integer({ min: 0, max: 32 }), fc.boolean())
      .map(([a, p, read]) => (read ? IpAddr.parse(`${new IpAddr(4, a, p).text()}`) : new IpAddr(4, a, p)));
    fc.assert(
      fc.property(v4, v4, (a, b) => {
        expect(a.isInRange(b)).toBe(a.rangeStart() >= b.rangeStart() && a.rangeEnd() <= b.rangeEnd());
        expect(a.isLoopback()).toBe(a.rangeStart() >= 0x7f000000n && a.rangeEnd() <= 0x7fffffffn);
      }),
      { numRuns: 3000 },
    );
  });
});
