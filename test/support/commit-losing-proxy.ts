import type { Socket } from 'node:net';
import { TcpProxy } from './tcp-proxy.js';

/**
 * What becomes of a COMMIT the proxy loses:
 * - `reply`: forwarded; the server's reply is dropped and both connections cut once it comes (committed, the client never hears);
 * - `commit`: never forwarded; the client's connection is cut, the server's left open (the transaction
 *   stays in progress, idle, until something ends its backend);
 * - `both-ways`: forwarded and the client's connection cut at once (the client's error races the commit).
 */
export type CommitLoss = 'reply' | 'commit' | 'both-ways';

/** The bytes of a simple query ('Q') and of the Sync ending an extended query ('S'): one round trip each. */
const QUERY = 0x51;
const SYNC = 0x53;
/** SSLRequest and GSSENCRequest: before the startup message, without a type byte, answered by one byte. */
const NEGOTIATION_CODES = new Set([80877103, 80877104]);

/**
 * A TcpProxy in front of PostgreSQL that loses COMMITs on purpose: it reads the client's side of the
 * protocol message by message, and asks `loses()` about every simple-query COMMIT (the one
 * `Sql.transaction` sends): undefined forwards it as usual, a CommitLoss loses it that way. `losses`
 * counts what was lost, by kind; `transactions` the round trips of each transaction, BEGIN and COMMIT included.
 */
export class CommitLosingProxy extends TcpProxy {
  loses: () => CommitLoss | undefined = () => undefined;
  readonly losses: Record<CommitLoss, number> = { reply: 0, commit: 0, 'both-ways': 0 };
  readonly transactions: number[] = [];

  protected override join(client: Socket, upstream: Socket): void {
    let pending = Buffer.alloc(0);
    let started = false;
    let lost: CommitLoss | undefined;
    let roundTrips: number | undefined;
    client.on('data', (data) => {
      if (this.mode !== 'up' || lost) return;
      pending = Buffer.concat([pending, data]);
      for (;;) {
        // Before the startup message, packets have no type byte: length first.
        const offset = started ? 1 : 0;
        if (pending.length < offset + 4) return;
        const size = offset + pending.readInt32BE(offset);
        if (pending.length < size) return;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        const query =
          started && message[0] === QUERY
            ? message
                .toString('utf8', 5, size - 1)
                .trim()
                .toUpperCase()
            : undefined;
        if (!started) started = !NEGOTIATION_CODES.has(message.readInt32BE(4));
        else if (query?.startsWith('BEGIN')) roundTrips = 1;
        else if (roundTrips !== undefined && (query !== undefined || message[0] === SYNC)) roundTrips++;
        if (query === 'COMMIT') {
          if (roundTrips !== undefined) this.transactions.push(roundTrips);
          roundTrips = undefined;
          lost = this.loses();
        }
        if (lost) return this.lose(lost, message, client, upstream);
        upstream.write(message);
      }
    });
    upstream.on('data', (data) => {
      if (lost === 'reply') {
        client.destroy();
        upstream.destroy();
      } else if (lost) upstream.destroy();
      else if (this.mode === 'up') client.write(data);
    });
    // A lost COMMIT's server connection outlives the client's: the server sees no end to its transaction.
    client.on('close', () => lost || upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private lose(loss: CommitLoss, commit: Buffer, client: Socket, upstream: Socket): void {
    this.losses[loss]++;
    if (loss !== 'commit') upstream.write(commit);
    if (loss !== 'reply') client.destroy();
  }
}
