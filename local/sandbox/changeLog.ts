/**
 * Sequence-numbered log of every group change (create/update/delete, member add/remove) that `groups/delta` replays.
 * Entries are stored in one array indexed by `seq - firstSeq`, so a round reads only the changes since its token.
 */
export type ChangeOp = 'upsert' | 'delete' | 'add' | 'remove';

export interface Change {
  readonly groupId: string;
  readonly op: ChangeOp;
  readonly memberId?: string;
  /** `#microsoft.graph.user` etc.; kept so removals of since-deleted objects can still be typed. */
  readonly memberType?: string;
}

/** Oldest changes are dropped past this many entries; tokens older than that get 410 (resync required). */
const MAX_ENTRIES = 2_000_000;
const TRIM_CHUNK = 200_000;

export class ChangeLog {
  private entries: Change[] = [];
  private firstSeq = 1;

  /** Sequence number of the newest change (0 when none). */
  get seq(): number {
    return this.firstSeq + this.entries.length - 1;
  }

  /** Lowest token sequence still answerable. */
  get oldestAnswerable(): number {
    return this.firstSeq - 1;
  }

  append(change: Change): void {
    this.entries.push(change);
    // Trim in chunks so the copy happens once per TRIM_CHUNK appends, not on every append.
    if (this.entries.length > MAX_ENTRIES + TRIM_CHUNK) {
      this.entries = this.entries.slice(TRIM_CHUNK);
      this.firstSeq += TRIM_CHUNK;
    }
  }

  /** Changes with sequence in (afterSeq, uptoSeq]. */
  *between(afterSeq: number, uptoSeq: number): Generator<Change> {
    const start = Math.max(0, afterSeq + 1 - this.firstSeq);
    const end = Math.min(this.entries.length, uptoSeq + 1 - this.firstSeq);
    for (let i = start; i < end; i++) {
      const entry = this.entries[i];
      if (entry) yield entry;
    }
  }
}
