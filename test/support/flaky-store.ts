/**
 * A memory lineage store whose appends and id look-ups can be made to fail, for the
 * fail-closed paths of the governor (a store that refuses a write, a parent that cannot be read).
 */
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { StoreError, type AppendBatch } from "../../runtime/lineage/store.js";

/** A memory store whose appends (`failAppends`) and `findById` (`failReads`) throw an I/O error while set. */
export class FlakyStore extends MemoryLineageStore {
  failAppends = false;
  failReads = false;
  override async append(batch: AppendBatch): Promise<void> {
    if (this.failAppends) throw new StoreError("io", "disk full");
    return super.append(batch);
  }
  override async findById(id: string): ReturnType<MemoryLineageStore["findById"]> {
    if (this.failReads) throw new StoreError("io", "read error");
    return super.findById(id);
  }
}
