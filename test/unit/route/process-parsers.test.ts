import { describe, expect, it } from 'vitest';
import { DarwinProcessLookup, lsofCommand, parseLsof, parsePs, psCommand } from '../../../core/route/process/darwin.js';
import { netstatCommand, parseNetstat, parseTasklist, tasklistCommand, WindowsProcessLookup } from '../../../core/route/process/windows.js';
import { parseSocketLine, procAddress, procPort } from '../../../core/route/process/linux-socket-table.js';
import { parseIp } from '../../../core/route/ip-address.js';

const client = { address: '127.0.0.1', port: 50000 };

describe('macOS: lsof and ps', () => {
  // `lsof -nP +c0 -iTCP@127.0.0.1:50000 -Fpcn`: our own accepted socket and the client's, both listed.
  const lsof = ['p4021', 'cswitchyard', 'f33', 'n127.0.0.1:7890->127.0.0.1:50000', 'p812', 'cGoogle Chrome Helper', 'f97', 'n127.0.0.1:50000->127.0.0.1:7890', ''].join('\n');

  it('builds the lsof command for the client end, IPv6 in brackets', () => {
    expect(lsofCommand(client)).toEqual({ file: 'lsof', args: ['-nP', '+c0', '-iTCP@127.0.0.1:50000', '-Fpcn'] });
    expect(lsofCommand({ address: '::1', port: 50001 }).args[2]).toBe('-iTCP@[::1]:50001');
  });

  it('picks the socket whose local end is the client, not our side of it', () => {
    expect(parseLsof(lsof, client, 7890)).toEqual({ pid: 812, name: 'Google Chrome Helper' });
    expect(parseLsof(lsof, client, 7891)).toBeUndefined();
    expect(parseLsof('', client, 7890)).toBeUndefined();
    expect(parseLsof('p77\ncnode\nf12\nn[::1]:50001->[::1]:7890\n', { address: '::1', port: 50001 }, 7890)).toEqual({ pid: 77, name: 'node' });
  });

  it('ps gives the executable path', () => {
    expect(psCommand(812)).toEqual({ file: 'ps', args: ['-o', 'comm=', '-p', '812'] });
    expect(parsePs('/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper\n')).toBe(
      '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper',
    );
    expect(parsePs('\n')).toBeUndefined();
  });

  it('the lookup runs lsof, then ps once per pid', async () => {
    const calls: string[] = [];
    const lookup = new DarwinProcessLookup(async (file, args) => {
      calls.push(`${file} ${args.join(' ')}`);
      return file === 'lsof' ? lsof : '/Applications/Chrome Helper\n';
    });
    expect(await lookup.lookup(client, 7890)).toEqual({ pid: 812, name: 'Chrome Helper', path: '/Applications/Chrome Helper' });
    await lookup.lookup(client, 7890);
    expect(calls).toEqual(['lsof -nP +c0 -iTCP@127.0.0.1:50000 -Fpcn', 'ps -o comm= -p 812', 'lsof -nP +c0 -iTCP@127.0.0.1:50000 -Fpcn']);
  });
});

describe('Windows: netstat and tasklist', () => {
  const netstat = [
    '',
    'Active Connections',
    '',
    '  Proto  Local Address          Foreign Address        State           PID',
    '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044',
    '  TCP    127.0.0.1:7890         0.0.0.0:0              LISTENING       5120',
    '  TCP    127.0.0.1:7890         127.0.0.1:50000        ESTABLISHED     5120',
    '  TCP    127.0.0.1:50000        127.0.0.1:7890         ESTABLISHED     9876',
    '  TCP    [::1]:50001            [::1]:7890             ESTABLISHED     4242',
    '',
  ].join('\r\n');

  it('builds netstat for the client family', () => {
    expect(netstatCommand(client)).toEqual({ file: 'netstat', args: ['-ano', '-p', 'TCP'] });
    expect(netstatCommand({ address: '::1', port: 1 }).args).toEqual(['-ano', '-p', 'TCPv6']);
  });

  it('finds the pid of the client socket, not ours', () => {
    expect(parseNetstat(netstat, client, 7890)).toBe(9876);
    expect(parseNetstat(netstat, { address: '::1', port: 50001 }, 7890)).toBe(4242);
    expect(parseNetstat(netstat, { address: '127.0.0.1', port: 50002 }, 7890)).toBeUndefined();
    expect(parseNetstat(netstat, client, 8080)).toBeUndefined();
  });

  it('tasklist gives the image name; "no tasks" gives nothing', () => {
    expect(tasklistCommand(9876)).toEqual({ file: 'tasklist', args: ['/FI', 'PID eq 9876', '/FO', 'CSV', '/NH'] });
    expect(parseTasklist('"chrome.exe","9876","Console","1","215,432 K"\r\n', 9876)).toBe('chrome.exe');
    expect(parseTasklist('INFO: No tasks are running which match the specified criteria.\r\n', 9876)).toBeUndefined();
    expect(parseTasklist('"chrome.exe","9877","Console","1","215,432 K"\r\n', 9876)).toBeUndefined();
  });

  it('the lookup runs netstat, then tasklist once per pid', async () => {
    const calls: string[] = [];
    const lookup = new WindowsProcessLookup(async (file) => {
      calls.push(file);
      return file === 'netstat' ? netstat : '"chrome.exe","9876","Console","1","215,432 K"';
    });
    expect(await lookup.lookup(client, 7890)).toEqual({ pid: 9876, name: 'chrome.exe' });
    expect(await lookup.lookup(client, 7890)).toEqual({ pid: 9876, name: 'chrome.exe' });
    expect(calls).toEqual(['netstat', 'tasklist', 'netstat']);
  });
});

describe('Linux: /proc/net/tcp{,6} text', () => {
  it('writes addresses as the kernel prints them (32-bit words in host order)', () => {
    // This machine is little-endian (x86-64, arm64), as the kernel's own output shows.
    expect(procAddress(parseIp('127.0.0.1')!, 'tcp')).toBe('0100007F');
    expect(procAddress(parseIp('10.1.2.3')!, 'tcp')).toBe('0302010A');
    expect(procAddress(parseIp('127.0.0.1')!, 'tcp6')).toBe('0000000000000000FFFF00000100007F');
    expect(procAddress(parseIp('::1')!, 'tcp6')).toBe('00000000000000000000000001000000');
    expect(procAddress(parseIp('2001:db8::5')!, 'tcp6')).toBe('B80D0120000000000000000005000000');
    expect(procPort(7890)).toBe('1ED2');
    expect(procPort(80)).toBe('0050');
  });

  it('reads the inode and uid of a line, refusing TIME_WAIT (inode 0) and another remote port', () => {
    const established = '   7: 0100007F:C350 0100007F:1ED2 01 00000000:00000000 00:00000000 00000000  1000        0 4242424 1 0000000000000000 20 4 30 10 -1';
    const timeWait = '   8: 0100007F:C350 0100007F:1ED2 06 00000000:00000000 03:00000F6A 00000000     0        0 0 3 0000000000000000';
    expect(parseSocketLine(established, '1ED2')).toEqual({ inode: 4242424, uid: 1000 });
    expect(parseSocketLine(established, '1ED3')).toBeUndefined();
    expect(parseSocketLine(timeWait, '1ED2')).toBeUndefined();
  });
});
