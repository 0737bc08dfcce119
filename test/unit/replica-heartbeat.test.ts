/** The replica-lag arithmetic (throttle/replicaLag.ts) and PostgreSQL LSN parsing, without a server. */
import { describe, expect, it } from 'vitest';
import { HeartbeatLog, siblingUrl } from '../../src/backfill/throttle/replicaLag.js';
import { parseLsn } from '../../src/dialects/postgres/replicas.js';
import { createOutput } from '../../src/cli/output.js';

describe('replica heartbeat log', () => {
  it('lag is the time since the first mark past what the replica applied; 0 once it has them all', () => {
    const log = new HeartbeatLog();
    log.add(10n, 1000);
    log.add(10n, 1200); // the primary did not move: not a new mark
    log.add(20n, 1500);
    log.add(30n, 2000);
    expect(log.lagMs(30n, 2600)).toBe(0);
    expect(log.lagMs(5n, 2600)).toBe(1600); // from the first mark of 10, not the repeated one
    expect(log.lagMs(10n, 2600)).toBe(1100); // has 10: behind since the mark of 20
    expect(log.lagMs(25n, 2600)).toBe(600);
  });

  it('forgets the marks every replica has applied, keeps the rest', () => {
    const log = new HeartbeatLog();
    for (const [p, at] of [[1n, 0], [2n, 100], [3n, 200]] as const) log.add(p, at);
    log.applied(2n);
    expect(log.lagMs(0n, 1000)).toBe(800); // the marks of 1 and 2 are gone: from the mark of 3
    expect(log.lagMs(3n, 1000)).toBe(0);
  });

  it('PostgreSQL LSNs order as numbers across the 32-bit halves', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn(null)).toBeNull();
    expect(parseLsn('garbage')).toBeNull();
  });

  it('a discovered replica is reached with the primary URL, its host and port swapped', () => {
    expect(siblingUrl('mysql://app:s3cret@10.0.0.1:3306/shop?ssl=true', '10.0.0.7', 3307)).toBe('mysql://app:s3cret@10.0.0.7:3307/shop?ssl=true');
  });

  it('a discovered replica left out is said on stderr, one line', () => {
    let err = '';
    const stream = { isTTY: false, write: (t: string) => ((err += t), true) } as unknown as NodeJS.WriteStream;
    createOutput({ json: false, stdout: stream, stderr: stream }).event({ event: 'replica_skipped', migration: '0001', table: 'users', replica: '10.0.0.7:3306', reason: 'connect ECONNREFUSED 10.0.0.7:3306' });
    expect(err).toBe('  users: replica 10.0.0.7:3306 not watched for lag: connect ECONNREFUSED 10.0.0.7:3306\n');
  });
});
