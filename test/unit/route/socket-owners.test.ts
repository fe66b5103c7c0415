import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SocketOwners } from '../../../core/route/process/linux-socket-owners.js';
import { SocketTable } from '../../../core/route/process/linux-socket-table.js';

/**
 * The Linux lookup's bookkeeping over a /proc-shaped directory: `<pid>/fd/<n>` symbolic links to
 * `socket:[inode]`, as the kernel shows them, so how many links each lookup reads can be counted.
 */
let root: string;
const link = (pid: number, fd: number, target: string) => {
  fs.mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
  const at = path.join(root, String(pid), 'fd', String(fd));
  fs.rmSync(at, { force: true });
  fs.symlinkSync(target, at);
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-proc-'));
  link(100, 3, 'socket:[111]');
  link(100, 4, '/dev/null');
  link(200, 3, 'socket:[222]');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('socket owners: inode → pid, reading as few links as it can', () => {
  it('a first miss reads what it must; what it read answers later lookups without reading', () => {
    const owners = new SocketOwners(root);
    expect(owners.find(222)).toBe(200);
    const first = owners.linksRead;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(3);
    // Process 100 was read in full on the way, or is read now; either way at most its two links.
    expect(owners.find(111)).toBe(100);
    expect(owners.linksRead).toBeLessThanOrEqual(3);
    const settled = owners.linksRead;
    expect(owners.find(111)).toBe(100);
    expect(owners.find(222)).toBe(200);
    expect(owners.linksRead).toBe(settled);
  });

  it('a new socket of a recent owner costs one link: only new descriptors are read', () => {
    const owners = new SocketOwners(root);
    owners.find(222);
    owners.find(111);
    const before = owners.linksRead;
    link(200, 5, 'socket:[333]');
    expect(owners.find(333)).toBe(200);
    expect(owners.linksRead - before).toBe(1);
  });

  it('a descriptor number reused after its connection ended is read first', () => {
    const owners = new SocketOwners(root);
    owners.find(222);
    owners.find(111);
    owners.release(222);
    link(200, 3, 'socket:[444]');
    const before = owners.linksRead;
    expect(owners.find(444)).toBe(200);
    expect(owners.linksRead - before).toBe(1);
  });

  it('a reused descriptor nobody released is still found, by re-reading known descriptors', () => {
    const owners = new SocketOwners(root);
    owners.find(222);
    owners.find(111);
    link(100, 3, 'socket:[555]');
    expect(owners.find(555)).toBe(100);
    expect(owners.find(999)).toBeUndefined();
  });

  it('only processes of the socket owner uid are read', () => {
    const owners = new SocketOwners(root);
    const otherUid = fs.statSync(root).uid + 1;
    expect(owners.find(222, otherUid)).toBeUndefined();
    expect(owners.linksRead).toBe(0);
    expect(owners.find(222, fs.statSync(root).uid)).toBe(200);
  });

  it('a process that exited is forgotten, with its sockets', () => {
    const owners = new SocketOwners(root);
    expect(owners.find(222)).toBe(200);
    fs.rmSync(path.join(root, '200'), { recursive: true });
    link(100, 6, 'socket:[666]');
    expect(owners.find(666)).toBe(100);
    expect(owners.find(222)).toBeUndefined();
  });
});

describe('socket table: one pass for lookups that arrive together', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (sl: number, local: string, remote: string, st: string, inode: number) =>
    `${String(sl).padStart(4)}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1\n`;

  it('finds each socket by its local end and our port, skipping TIME_WAIT and our own side', async () => {
    const file = path.join(root, 'tcp');
    const lines = [header, line(0, '0100007F:1ED2', '00000000:0000', '0A', 10)];
    // Many unrelated sockets, so the file spans several reads.
    for (let i = 1; i < 3000; i++) lines.push(line(i, `0100007F:${(10000 + i).toString(16).toUpperCase()}`, '0100007F:0050', '01', 1000 + i));
    lines.push(line(3000, '0100007F:C350', '0100007F:1ED2', '06', 0)); // an earlier connection from the same port, TIME_WAIT
    lines.push(line(3001, '0100007F:1ED2', '0100007F:C350', '01', 20)); // our accepted side
    lines.push(line(3002, '0100007F:C350', '0100007F:1ED2', '01', 30)); // the client
    lines.push(line(3003, '0100007F:C351', '0100007F:1ED2', '01', 31));
    fs.writeFileSync(file, lines.join(''));
    const table = new SocketTable(file);
    const found = await Promise.all([table.find('0100007F:C350', '1ED2'), table.find('0100007F:C351', '1ED2'), table.find('0100007F:C352', '1ED2')]);
    expect(found).toEqual([{ inode: 30, uid: 1000 }, { inode: 31, uid: 1000 }, undefined]);
    // The two that joined the first pass late and were not found got one more pass.
    expect(table.passes).toBe(2);
    // Many at once: the line-by-line walk.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => table.find(`0100007F:${(10001 + i).toString(16).toUpperCase()}`, '0050')));
    expect(many.map((f) => f?.inode)).toEqual(Array.from({ length: 50 }, (_, i) => 1001 + i));
  });

  it('a missing table finds nothing', async () => {
    expect(await new SocketTable(path.join(root, 'nope')).find('0100007F:C350', '1ED2')).toBeUndefined();
  });
});
