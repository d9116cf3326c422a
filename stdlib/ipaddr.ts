/**
 * Cedar's `ipaddr` extension type: an IPv4 or IPv6 address with a CIDR prefix
 * length (32 or 128 when none is written).
 *
 * Parsing follows Cedar 4.x exactly:
 * - the text splits at the first `/` into address and prefix;
 * - IPv4: four dot-separated decimal octets 0–255, each 1–3 digits, no leading
 *   zeros (`01.2.3.4` is rejected);
 * - IPv6: eight groups of 1–4 hex digits, or fewer with one `::` standing for
 *   at least one zero group; no zone id (`%eth0`), no brackets, and no
 *   embedded IPv4 (`::ffff:1.2.3.4` is rejected);
 * - prefix: ASCII digits only, no leading zeros, at most 2 (IPv4) or 3 (IPv6)
 *   characters, at most 32 or 128.
 *
 * Equality compares version, address and prefix: `ip("10.0.0.1/24")` and
 * `ip("10.0.0.0/24")` differ. `isInRange`, `isLoopback` and `isMulticast`
 * treat the receiver as the whole range it denotes.
 */
import { extensionError, typeError } from "./arith.js";
import type { ExtensionValue, Value } from "./value.js";

const MASK32 = (1n << 32n) - 1n;
const MASK128 = (1n << 128n) - 1n;

/** A Cedar ipaddr value. Immutable. */
export class IpAddr implements ExtensionValue {
  readonly extension = "ipaddr" as const;
  /**
   * @param version 4 or 6
   * @param addr the address bits as written (not masked), 32 or 128 bits
   * @param prefix the CIDR prefix length, ≤ 32 or ≤ 128
   */
  constructor(
    readonly version: 4 | 6,
    readonly addr: bigint,
    readonly prefix: number,
  ) {}

  /** Parse Cedar ip syntax; throws EvalError W4005 on invalid input. */
  static parse(text: string): IpAddr {
    const r = parseIpAddr(text);
    if (typeof r === "string") extensionError("ipaddr", r);
    return r;
  }

  /** Parse, returning undefined instead of throwing. */
  static tryParse(text: string): IpAddr | undefined {
    const r = parseIpAddr(text);
    return typeof r === "string" ? undefined : r;
  }

  /**
   * An IPv4 value whose canonical text is already known (the one-pass reader's result).
   * @internal for {@link readIpV4}
   */
  static withText(addr: number, prefix: number, text: string): IpAddr {
    const v = new IpAddr(4, BigInt(addr), prefix);
    v.#text = text;
    return v;
  }

  // NOTE: range bounds and text computed on first use (values are immutable); private, so
  // invisible to equality, keys and structural comparison.
  #start: bigint | undefined = undefined;
  #end: bigint | undefined = undefined;
  #text: string | undefined = undefined;
  #start4: number | undefined = undefined;

  /** An IPv4 range's first address as a Number (exact: below 2^32). */
  private startV4(): number {
    if (this.#start4 === undefined) this.#start4 = v4Start(Number(this.addr), this.prefix);
    return this.#start4;
  }

  private get width(): bigint {
    return this.version === 4 ? 32n : 128n;
  }

  /** First address of the range this value denotes. */
  rangeStart(): bigint {
    if (this.#start === undefined) {
      const all = this.version === 4 ? MASK32 : MASK128;
      const hostBits = this.width - BigInt(this.prefix);
      this.#start = this.addr & (all ^ ((1n << hostBits) - 1n));
    }
    return this.#start;
  }

  /** Last address of the range this value denotes. */
  rangeEnd(): bigint {
    if (this.#end === undefined) {
      const hostBits = this.width - BigInt(this.prefix);
      this.#end = this.addr | ((1n << hostBits) - 1n);
    }
    return this.#end;
  }

  /** Cedar `==`: same version, address and prefix. */
  equals(other: Value): boolean {
    return other instanceof IpAddr && other.version === this.version && other.addr === this.addr && other.prefix === this.prefix;
  }

  /** Canonical key: equal values have equal keys. */
  key(): string {
    return `ip${this.version}:${this.addr.toString(16)}/${this.prefix}`;
  }

  /** Canonical text: dotted quad or RFC 5952 hex (never mixed), with `/prefix` unless full length. */
  text(): string {
    if (this.#text === undefined) {
      const a = this.version === 4 ? formatV4(this.addr) : formatV6(this.addr);
      const full = this.version === 4 ? 32 : 128;
      this.#text = this.prefix === full ? a : `${a}/${this.prefix}`;
    }
    return this.#text;
  }

  /** Cedar literal form, e.g. `ip("10.0.0.0/8")`. */
  toString(): string {
    return `ip(${JSON.stringify(this.text())})`;
  }

  /** Cedar `isIpv4`. */
  isIpv4(): boolean {
    return this.version === 4;
  }

  /** Cedar `isIpv6`. */
  isIpv6(): boolean {
    return this.version === 6;
  }

  /** Is this whole range inside `other`'s range (same version)? */
  isInRange(other: IpAddr): boolean {
    if (this.version !== other.version) return false;
    if (this.version === 4) {
      // NOTE: 32-bit ranges compared in Numbers (exact below 2^53), without BigInt arithmetic;
      // a range ends 2^(32 - prefix) - 1 after its start.
      const start = this.startV4();
      const otherStart = other.startV4();
      return start >= otherStart && start + 2 ** (32 - this.prefix) <= otherStart + 2 ** (32 - other.prefix);
    }
    return this.rangeStart() >= other.rangeStart() && this.rangeEnd() <= other.rangeEnd();
  }

  /** Inside 127.0.0.0/8 or ::1/128. */
  isLoopback(): boolean {
    return this.isInRange(this.version === 4 ? LOOPBACK_V4 : LOOPBACK_V6);
  }

  /** Inside 224.0.0.0/4 or ff00::/8. */
  isMulticast(): boolean {
    return this.isInRange(this.version === 4 ? MULTICAST_V4 : MULTICAST_V6);
  }
}

const LOOPBACK_V4 = new IpAddr(4, 0x7f000000n, 8);
const LOOPBACK_V6 = new IpAddr(6, 1n, 128);
const MULTICAST_V4 = new IpAddr(4, 0xe0000000n, 4);
const MULTICAST_V6 = new IpAddr(6, 0xffn << 120n, 8);

/** The first address of the IPv4 range of `addr` with `prefix`. */
function v4Start(addr: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(addr / size) * size;
}

function formatV4(a: bigint): string {
  // NOTE: a v4 address is below 2^32, so a Number holds it exactly (no BigInt shifts).
  const n = Number(a);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(a: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a >> BigInt(i * 16)) & 0xffffn));
  // Longest run (≥ 2) of zero groups, leftmost on ties, becomes `::` (RFC 5952).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parse a dotted-quad IPv4 address (whole string), or undefined: exactly four `.`-separated
 * octets of 1–3 ASCII digits, no leading zero, each ≤ 255. One pass, no allocation.
 */
function parseV4(s: string): bigint | undefined {
  let v = 0;
  let parts = 0;
  let n = 0;
  let len = 0;
  let leadingZero = false;
  for (let i = 0; i <= s.length; i++) {
    // A virtual `.` after the last character closes the last octet.
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (len === 0 || (len > 1 && leadingZero) || n > 255 || ++parts > 4) return undefined;
      v = v * 256 + n;
      n = 0;
      len = 0;
      continue;
    }
    if (!isDigit(c)) return undefined;
    if (len === 0) leadingZero = c === 48;
    if (++len > 3) return undefined;
    n = n * 10 + (c - 48);
  }
  return parts === 4 ? BigInt(v) : undefined;
}

/** Parse `a:b:…` groups (possibly empty string → no groups), or undefined. */
function parseGroups(s: string): number[] | undefined {
  if (s.length === 0) return [];
  const out: number[] = [];
  for (const g of s.split(":")) {
    if (g.length === 0 || g.length > 4) return undefined;
    let n = 0;
    for (let i = 0; i < g.length; i++) {
      const h = hexVal(g.charCodeAt(i));
      if (h < 0) return undefined;
      n = n * 16 + h;
    }
    out.push(n);
  }
  return out;
}

/** Parse an IPv6 address without embedded IPv4 (whole string), or undefined. */
function parseV6(s: string): bigint | undefined {
  const dbl = s.indexOf("::");
  let groups: number[];
  if (dbl < 0) {
    const g = parseGroups(s);
    if (g === undefined || g.length !== 8) return undefined;
    groups = g;
  } else {
    if (s.indexOf("::", dbl + 1) >= 0) return undefined;
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (head === undefined || tail === undefined) return undefined;
    // `::` stands for at least one zero group.
    if (head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

function parsePrefix(s: string, max: number): number | string {
  const maxLen = max === 32 ? 2 : 3;
  if (s.length === 0) return "error parsing prefix: empty prefix";
  if (s.length > maxLen) return `error parsing prefix: string length ${s.length} is too large`;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return `error parsing prefix \`${s}\`: encountered non-digit`;
  if (s.length > 1 && s.charCodeAt(0) === 48) return `error parsing prefix \`${s}\`: leading zero(s)`;
  const n = Number(s);
  if (n > max) return `error parsing prefix: ${n} is larger than the limit ${max}`;
  return n;
}

/**
 * The common form, an IPv4 address with an optional prefix (`10.1.2.3`, `10.0.0.0/8`), read
 * in one pass with its canonical text; undefined for anything else (IPv6, or text that does
 * not parse: {@link parseIpAddrGeneral} reads it and words the error). A dotted quad without
 * leading zeros is already canonical, so the text is the input (less a `/32`).
 * INVARIANT: a value it gives equals the general reading's, with the same `text()` (a
 * property test compares them on arbitrary strings).
 */
export function readIpV4(text: string): IpAddr | undefined {
  const end = text.length;
  let v = 0;
  let parts = 0;
  let n = 0;
  let len = 0;
  let leadingZero = false;
  let i = 0;
  for (; i <= end; i++) {
    // A virtual `/` after the last character closes the last octet.
    const c = i < end ? text.charCodeAt(i) : 47;
    if (c === 46 || c === 47) {
      if (len === 0 || (len > 1 && leadingZero) || n > 255) return undefined;
      v = v * 256 + n;
      n = 0;
      len = 0;
      if (++parts === 4) {
        if (c === 47) break;
        return undefined;
      }
      if (c === 47) return undefined;
      continue;
    }
    if (!isDigit(c)) return undefined;
    if (len === 0) leadingZero = c === 48;
    if (++len > 3) return undefined;
    n = n * 10 + (c - 48);
  }
  if (i >= end) return IpAddr.withText(v, 32, text);
  // The prefix: 1–2 digits, no leading zero, at most 32.
  const plen = end - i - 1;
  if (plen < 1 || plen > 2) return undefined;
  const d0 = text.charCodeAt(i + 1);
  if (!isDigit(d0)) return undefined;
  let p = d0 - 48;
  if (plen === 2) {
    const d1 = text.charCodeAt(i + 2);
    if (d0 === 48 || !isDigit(d1)) return undefined;
    p = p * 10 + (d1 - 48);
    if (p > 32) return undefined;
  }
  return IpAddr.withText(v, p, p === 32 ? text.slice(0, i) : text);
}

/** Parse Cedar ip syntax into an IpAddr, or return an error message. */
export function parseIpAddr(text: string): IpAddr | string {
  return readIpV4(text) ?? parseIpAddrGeneral(text);
}

/**
 * {@link parseIpAddr} without the one-pass IPv4 reader: every form, and the error messages.
 * @internal exported for the property test that compares the two.
 */
export function parseIpAddrGeneral(text: string): IpAddr | string {
  if (text.includes(":") && text.includes(".")) {
    return `we do not accept IPv4 embedded in IPv6 (e.g., ::ffff:127.0.0.1); found \`${text}\``;
  }
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseV4(addrText);
  if (v4 !== undefined) {
    if (prefixText === undefined) return new IpAddr(4, v4, 32);
    const p = parsePrefix(prefixText, 32);
    return typeof p === "string" ? p : new IpAddr(4, v4, p);
  }
  const v6 = parseV6(addrText);
  if (v6 !== undefined) {
    if (prefixText === undefined) return new IpAddr(6, v6, 128);
    const p = parsePrefix(prefixText, 128);
    return typeof p === "string" ? p : new IpAddr(6, v6, p);
  }
  return `invalid IP address: ${text}`;
}

/** The argument as an IpAddr, or a type error (W4002). */
export function asIpAddr(v: Value): IpAddr {
  return v instanceof IpAddr ? v : typeError("ipaddr", v);
}
