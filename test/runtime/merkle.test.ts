import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  checkConsistency,
  defaultHasher,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootAt,
  rootOf,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from "../../runtime/lineage/merkle.js";
import type { Hash, NodeSource } from "../../runtime/lineage/merkle.js";
import { nodeHasher } from "../../runtime/lineage/merkle-node-hasher.js";
import { MerkleTree } from "../support/merkle-tree.js";
import { foldEdge, pushLeaf, type EdgeNode } from "../../runtime/lineage/stored-tree.js";
import type { StoredNode } from "../../runtime/lineage/store.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const merkle = conformanceData("merkle/testdata");
const DATA = merkle.dir;
/** Exact vector counts of the corpus (196 in all): a partly missing corpus fails instead of passing on fewer. */
const INCLUSION_VECTORS = 98;
const CONSISTENCY_VECTORS = 98;

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith(".json") ? [p] : [];
    });
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
const hex = (h: Uint8Array): string => Buffer.from(h).toString("hex");
const hexes = (hs: readonly Uint8Array[]): string[] => hs.map(hex);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

// The leaves of RFC 6962's reference test tree, from which the vectors' happy paths were built.
const RFC_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(
  (h) => new Uint8Array(Buffer.from(h, "hex")),
);
const rfcTree = MerkleTree.fromLeafHashes(RFC_LEAVES.map((d) => leafHash(d)));

const inclusionFiles = merkle.present ? walk(join(DATA, "inclusion")) : [];
const consistencyFiles = merkle.present ? walk(join(DATA, "consistency")) : [];

describeConformance("transparency-dev inclusion vectors", merkle, () => {
  it("finds them, with both outcomes", () => {
    expect(inclusionFiles.length).toBe(INCLUSION_VECTORS);
    const wants = inclusionFiles.map((f) => (JSON.parse(readFileSync(f, "utf8")) as InclusionVector).wantErr);
    expect(wants).toContain(true);
    expect(wants).toContain(false);
  });

  for (const file of inclusionFiles) {
    const v = JSON.parse(readFileSync(file, "utf8")) as InclusionVector;
    it(`${relative(DATA, file)} (${v.desc}) → ${v.wantErr ? "rejected" : "accepted"}`, () => {
      const proof = (v.proof ?? []).map(b64);
      for (const hasher of [defaultHasher, nodeHasher]) {
        expect(verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proof, b64(v.root), hasher)).toBe(!v.wantErr);
      }
      if (!v.wantErr && v.treeSize <= rfcTree.size && hex(rfcTree.rootAt(v.treeSize)) === hex(b64(v.root))) {
        // Our generator must produce exactly the vector's proof.
        expect(hexes(rfcTree.inclusionProof(v.leafIdx, v.treeSize))).toEqual(hexes(proof));
      }
    });
  }
});

describeConformance("transparency-dev consistency vectors", merkle, () => {
  it("finds them, with both outcomes", () => {
    expect(consistencyFiles.length).toBe(CONSISTENCY_VECTORS);
    const wants = consistencyFiles.map((f) => (JSON.parse(readFileSync(f, "utf8")) as ConsistencyVector).wantErr);
    expect(wants).toContain(true);
    expect(wants).toContain(false);
  });

  for (const file of consistencyFiles) {
    const v = JSON.parse(readFileSync(file, "utf8")) as ConsistencyVector;
    it(`${relative(DATA, file)} (${v.desc}) → ${v.wantErr ? "rejected" : "accepted"}`, () => {
      const proof = (v.proof ?? []).map(b64);
      for (const hasher of [defaultHasher, nodeHasher]) {
        const reason = checkConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), proof, hasher);
        expect(reason === undefined).toBe(!v.wantErr);
      }
      if (!v.wantErr && v.size2 <= rfcTree.size && v.size1 > 0 && hex(rfcTree.rootAt(v.size2)) === hex(b64(v.root2))) {
        expect(hexes(rfcTree.consistencyProof(v.size1, v.size2))).toEqual(hexes(proof));
      }
    });
  }
});

describeConformance("RFC 6962 reference tree against the vectors", merkle, () => {
  it("reproduces every happy-path vector's proof exactly", () => {
    let reproduced = 0;
    for (const file of inclusionFiles.filter((f) => f.endsWith("happy-path.json"))) {
      const v = JSON.parse(readFileSync(file, "utf8")) as InclusionVector;
      expect(hex(rfcTree.rootAt(v.treeSize))).toBe(hex(b64(v.root)));
      expect(hex(rfcTree.leafHash(v.leafIdx))).toBe(hex(b64(v.leafHash)));
      expect(hexes(rfcTree.inclusionProof(v.leafIdx, v.treeSize))).toEqual(hexes((v.proof ?? []).map(b64)));
      reproduced++;
    }
    for (const file of consistencyFiles.filter((f) => f.endsWith("happy-path.json"))) {
      const v = JSON.parse(readFileSync(file, "utf8")) as ConsistencyVector;
      expect(hex(rfcTree.rootAt(v.size1))).toBe(hex(b64(v.root1)));
      expect(hex(rfcTree.rootAt(v.size2))).toBe(hex(b64(v.root2)));
      expect(hexes(rfcTree.consistencyProof(v.size1, v.size2))).toEqual(hexes((v.proof ?? []).map(b64)));
      reproduced++;
    }
    expect(reproduced).toBe(10);
  });
});

describe("RFC 6962 reference tree", () => {
  it("has the published roots", () => {
    expect(hex(emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(rfcTree.rootAt(1))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    expect(hex(rfcTree.rootAt(8))).toBe("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    expect(hex(rfcTree.rootAt(0))).toBe(hex(emptyRoot()));
  });

  it("both hashers agree", () => {
    const d = new Uint8Array([1, 2, 3]);
    expect(hex(nodeHasher.leaf(d))).toBe(hex(defaultHasher.leaf(d)));
    const l = defaultHasher.leaf(d);
    const r = defaultHasher.leaf(new Uint8Array(0));
    expect(hex(nodeHasher.node(l, r))).toBe(hex(defaultHasher.node(l, r)));
    expect(hex(nodeHasher.empty())).toBe(hex(defaultHasher.empty()));
  });

  it("generators reject impossible arguments", () => {
    expect(() => inclusionProof(8, 8, rfcTree)).toThrow(RangeError);
    expect(() => consistencyProof(0, 8, rfcTree)).toThrow(RangeError);
    expect(() => consistencyProof(5, 4, rfcTree)).toThrow(RangeError);
    expect(() => rfcTree.inclusionProof(0, 9)).toThrow(RangeError);
    expect(() => rfcTree.append(new Uint8Array(31))).toThrow(RangeError);
  });

  it("verifiers never throw on junk", () => {
    const junk: unknown[] = [null, undefined, "x", [1], [new Uint8Array(3)]];
    for (const j of junk) {
      expect(verifyInclusion(j as Hash, 0, 1, j as Hash[], j as Hash)).toBe(false);
      expect(verifyConsistency(1, 2, j as Hash, j as Hash, j as Hash[])).toBe(false);
    }
    expect(verifyInclusion(rfcTree.leafHash(0), -1, 8, [], rfcTree.root())).toBe(false);
    expect(verifyInclusion(rfcTree.leafHash(0), 0.5, 8, [], rfcTree.root())).toBe(false);
    expect(verifyConsistency(NaN, 8, rfcTree.root(), rfcTree.root(), [])).toBe(false);
  });
});

const treeArb = fc
  .array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 300 })
  // Distinct leaves: the index is part of each leaf's data.
  .map((leaves) => leaves.map((d, i) => leafHash(Uint8Array.from([...d, i >> 8, i & 255]))));

function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const out = h.slice();
  const b = bit % (out.length * 8);
  out[b >> 3]! ^= 1 << (b & 7);
  return out;
}

describe("properties", () => {
  it("incremental roots equal the recursive definition at every size", () => {
    fc.assert(
      fc.property(treeArb, (leaves) => {
        const tree = new MerkleTree();
        for (let i = 0; i < leaves.length; i++) {
          tree.append(leaves[i]!);
          expect(hex(tree.root())).toBe(hex(rootOf(leaves.slice(0, i + 1))));
        }
        const mid = Math.floor(leaves.length / 2);
        expect(hex(tree.rootAt(mid))).toBe(hex(rootOf(leaves.slice(0, mid))));
        expect(hex(rootAt(leaves.length, (i) => leaves[i]!))).toBe(hex(tree.root()));
      }),
      { numRuns: 40 },
    );
  });

  it("the right edge alone (what logs and verification keep) folds to the root at every size and completes each perfect subtree once", () => {
    fc.assert(
      fc.property(treeArb, (leaves) => {
        const edge: EdgeNode[] = [];
        const nodes: StoredNode[] = [];
        const tree = new MerkleTree();
        for (let i = 0; i < leaves.length; i++) {
          pushLeaf(edge, leaves[i]!, i, defaultHasher, nodes);
          tree.append(leaves[i]!);
          expect(hex(foldEdge(edge, defaultHasher))).toBe(hex(rootOf(leaves.slice(0, i + 1))));
          // One hash per set bit of the size, highest level first.
          expect(edge.map((e) => e.level)).toEqual([...(i + 1).toString(2)].flatMap((b, k, all) => (b === "1" ? [all.length - 1 - k] : [])));
        }
        expect(nodes.length).toBe(new Set(nodes.map((n) => `${n.level}:${n.index}`)).size);
        for (const n of nodes) expect(hex(n.hash)).toBe(hex(tree.perfectNode(n.level, n.index)));
        // Without a node list the edge is the same.
        const bare: EdgeNode[] = [];
        for (let i = 0; i < leaves.length; i++) pushLeaf(bare, leaves[i]!, i, defaultHasher);
        expect(bare.map((e) => hex(e.hash))).toEqual(edge.map((e) => hex(e.hash)));
      }),
      { numRuns: 40 },
    );
  });

  it("inclusion proofs verify, match the leaf-accessor generator, and any flipped bit fails", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (leaves, a, b, which, bit) => {
        const tree = MerkleTree.fromLeafHashes(leaves, nodeHasher);
        const size = 1 + (a % leaves.length);
        const index = b % size;
        const root = tree.rootAt(size);
        const proof = tree.inclusionProof(index, size);
        expect(hexes(inclusionProof(index, size, (i) => leaves[i]!))).toEqual(hexes(proof));
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
        expect(verifyInclusion(flipBit(leaves[index]!, bit), index, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaves[index]!, index, size, proof, flipBit(root, bit))).toBe(false);
        if (proof.length > 0) {
          const k = which % proof.length;
          const bad = proof.map((p, i) => (i === k ? flipBit(p, bit) : p));
          expect(verifyInclusion(leaves[index]!, index, size, bad, root)).toBe(false);
          expect(verifyInclusion(leaves[index]!, index, size, proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(leaves[index]!, index, size, [...proof, proof[0]!], root)).toBe(false);
        }
        if (size > 1) {
          const other = (index + 1 + (which % (size - 1))) % size;
          expect(verifyInclusion(leaves[index]!, other, size, proof, root)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("consistency proofs verify, match the leaf-accessor generator, and any flipped bit fails", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (leaves, a, b, which, bit) => {
        const tree = MerkleTree.fromLeafHashes(leaves);
        const n = 1 + (a % leaves.length);
        const m = 1 + (b % n);
        const proof = tree.consistencyProof(m, n);
        const rootM = tree.rootAt(m);
        const rootN = tree.rootAt(n);
        expect(hexes(consistencyProof(m, n, (i) => leaves[i]!))).toEqual(hexes(proof));
        expect(checkConsistency(m, n, rootM, rootN, proof)).toBeUndefined();
        expect(verifyConsistency(m, n, flipBit(rootM, bit), rootN, proof)).toBe(false);
        expect(verifyConsistency(m, n, rootM, flipBit(rootN, bit), proof)).toBe(false);
        if (proof.length > 0) {
          const k = which % proof.length;
          const bad = proof.map((p, i) => (i === k ? flipBit(p, bit) : p));
          expect(verifyConsistency(m, n, rootM, rootN, bad)).toBe(false);
          expect(verifyConsistency(m, n, rootM, rootN, proof.slice(0, -1))).toBe(false);
        }
        if (m < n) expect(verifyConsistency(m, n, rootN, rootM, proof)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("subtreeRoot of an aligned range equals the root of that slice", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), (leaves, a, b) => {
        const tree = MerkleTree.fromLeafHashes(leaves);
        const level = a % 6;
        const width = 2 ** level;
        const start = width * (b % Math.max(1, Math.floor(leaves.length / width)));
        const end = Math.min(leaves.length, start + width);
        fc.pre(end > start);
        expect(hex(subtreeRoot(start, end, tree))).toBe(hex(rootOf(leaves.slice(start, end))));
      }),
      { numRuns: 100 },
    );
  });
});

describe("scale: proofs read O(log n) stored nodes", () => {
  /** A NodeSource standing in for a huge store: synthetic node hashes, counted reads. */
  function countingSource(): NodeSource & { reads: number } {
    const src = {
      reads: 0,
      perfectNode(level: number, index: number): Hash {
        src.reads++;
        return leafHash(new TextEncoder().encode(`${level}/${index}`));
      },
    };
    return src;
  }

  for (const size of [1_000_000, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
    it(`size ${size}`, () => {
      const log2 = Math.ceil(Math.log2(size));
      const src = countingSource();
      const proof = inclusionProof(size - 2, size, src);
      expect(proof.length).toBeLessThanOrEqual(log2);
      expect(src.reads).toBeLessThanOrEqual(2 * log2);
      src.reads = 0;
      inclusionProof(7, size, src);
      expect(src.reads).toBeLessThanOrEqual(2 * log2);
      src.reads = 0;
      const cproof = consistencyProof(size - 1000, size, src);
      expect(cproof.length).toBeLessThanOrEqual(2 * log2);
      expect(src.reads).toBeLessThanOrEqual(3 * log2);
      src.reads = 0;
      rootAt(size, src);
      expect(src.reads).toBeLessThanOrEqual(log2);
    });
  }

  it("a real tree of 2^17 + 3 leaves proves its first, middle and last leaves", () => {
    const tree = new MerkleTree(nodeHasher);
    const n = 2 ** 17 + 3;
    const buf = new Uint8Array(4);
    for (let i = 0; i < n; i++) {
      new DataView(buf.buffer).setUint32(0, i);
      tree.appendData(buf);
    }
    const root = tree.root();
    for (const i of [0, n >> 1, n - 1]) {
      expect(verifyInclusion(tree.leafHash(i), i, n, tree.inclusionProof(i), root, nodeHasher)).toBe(true);
    }
    expect(verifyConsistency(1000, n, tree.rootAt(1000), root, tree.consistencyProof(1000), nodeHasher)).toBe(true);
    expect(hex(nodeHash(tree.subtreeRoot(0, 2 ** 17), tree.subtreeRoot(2 ** 17, n)))).toBe(hex(root));
  });
});
