import { tracing, type TraceOrigin } from '../tracing/tracing.js';
import { DatabaseBusyError, isDatabaseUnavailable } from './database-errors.js';

export interface GroupCommitOptions<M, R> {
  /** Saves a group in one transaction; one result per member, in order. Throws when the group cannot be saved. */
  save: (members: M[]) => Promise<R[]>;
  /** Groups in flight at once (each holds one pooled connection). */
  concurrency: number;
  /** Members per group at most. */
  maxSize: number;
  /** Longest a member waits for a slot; then it fails with DatabaseBusyError (503), like a request that gets no pooled connection. */
  maxWaitMs: number;
  /** Told the size of every group that is saved or tried (for metrics). */
  onGroup?: (size: number) => void;
}

interface Waiting<M, R> {
  member: M;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
  /** Set while it waits for a slot. */
  timer?: NodeJS.Timeout;
  /** With tracing on, its request's span: the group's transaction span links to it. */
  origin?: TraceOrigin;
}

/**
 * Group commit: members that arrive while `concurrency` groups are in flight wait, and the next free
 * slot saves up to `maxSize` of them together, in one transaction. Nothing waits on a timer: a member
 * that finds a slot free is saved at once, alone, so an idle service adds no latency; groups only
 * form from what queued behind writes in flight, so they grow with the load.
 *
 * Each member gets its own answer. A group that fails for a reason other than the database being
 * unavailable (one member's value refused) is retried in halves until the failing member is alone
 * and gets its own error, so one bad member never fails the others. (`save` itself runs a group
 * that crossed another writer again as a whole; only what is still failing after that is halved.) A group that
 * fails because the database is unavailable is not retried: every member gets that error (503).
 * A member that waits for a slot longer than `maxWaitMs` gets 503 too, so a stuck write in flight
 * cannot hold the ones behind it forever.
 */
export class GroupCommit<M, R> {
  private readonly waiting: Waiting<M, R>[] = [];
  private inFlight = 0;

  constructor(private readonly options: GroupCommitOptions<M, R>) {}

  /** Members waiting for a slot right now. */
  get queued(): number {
    return this.waiting.length;
  }

  add(member: M): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting: Waiting<M, R> = { member, resolve, reject, origin: tracing?.capture() };
      this.waiting.push(waiting);
      this.startGroups();
      // Only a member that has to wait needs a deadline (a lone one was taken at once).
      if (this.waiting.at(-1) === waiting) waiting.timer = setTimeout(() => this.expire(waiting), this.options.maxWaitMs);
    });
  }

  private expire(waiting: Waiting<M, R>): void {
    const index = this.waiting.indexOf(waiting);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    waiting.reject(new DatabaseBusyError(`no write slot within ${this.options.maxWaitMs} ms`));
  }

  private startGroups(): void {
    while (this.inFlight < this.options.concurrency && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.options.maxSize);
      for (const waiting of group) clearTimeout(waiting.timer);
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.startGroups();
      });
    }
  }

  private async commit(group: Waiting<M, R>[]): Promise<void> {
    this.options.onGroup?.(group.length);
    let results: R[];
    try {
      const save = () => this.options.save(group.map((waiting) => waiting.member));
      results = await (tracing
        ? tracing.inGroupSpan(
            'group commit',
            group.map((waiting) => waiting.origin),
            save,
          )
        : save());
    } catch (error) {
      if (group.length === 1 || isDatabaseUnavailable(error)) {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      const half = Math.ceil(group.length / 2);
      await this.commit(group.slice(0, half));
      await this.commit(group.slice(half));
      return;
    }
    group.forEach((waiting, i) => waiting.resolve(results[i]));
  }
}
