import ipaddr from 'ipaddr.js';
import { SocksReply } from '../adapter/errors.js';
import { newMeta, openTunnel, type TunnelAnswers } from './context.js';
import { ClientHandshake } from './handshake.js';

/** SOCKS5 server side, RFC 1928, with username/password authentication (RFC 1929). */

export const Method = { NO_AUTH: 0x00, USER_PASS: 0x02, NO_ACCEPTABLE: 0xff } as const;
export const Command = { CONNECT: 0x01, BIND: 0x02, UDP_ASSOCIATE: 0x03 } as const;
export const AddressType = { IPV4: 0x01, DOMAIN: 0x03, IPV6: 0x04 } as const;

export interface Greeting {
  methods: Buffer;
  size: number;
}

/** VER NMETHODS METHODS...; undefined until complete. The caller has checked VER. */
export function parseGreeting(b: Buffer): Greeting | undefined {
  if (b.length < 2) return undefined;
  const size = 2 + b[1]!;
  if (b.length < size) return undefined;
  return { methods: b.subarray(2, size), size };
}

/** With users configured only user/pass is offered; without, no-auth (or user/pass, accepting anyone). */
export function chooseMethod(methods: Buffer, authRequired: boolean): number {
  if (authRequired) return methods.includes(Method.USER_PASS) ? Method.USER_PASS : Method.NO_ACCEPTABLE;
  if (methods.includes(Method.NO_AUTH)) return Method.NO_AUTH;
  return methods.includes(Method.USER_PASS) ? Method.USER_PASS : Method.NO_ACCEPTABLE;
}

export type UserPass = { user: string; password: string; size: number } | { invalid: true };

/** RFC 1929: VER(1) ULEN UNAME PLEN PASSWD; undefined until complete. */
export function parseUserPass(b: Buffer): UserPass | undefined {
  if (b.length < 2) return undefined;
  if (b[0] !== 0x01) return { invalid: true };
  const ulen = b[1]!;
  if (b.length < 3 + ulen) return undefined;
  const plen = b[2 + ulen]!;
  const size = 3 + ulen + plen;
  if (b.length < size) return undefined;
  return { user: b.toString('utf8', 2, 2 + ulen), password: b.toString('utf8', 3 + ulen, size), size };
}

export type Socks5Request =
  | { command: number; host: string; port: number; size: number }
  /** The request cannot be served; answer with this reply code and close. */
  | { reply: number };

/** VER CMD RSV ATYP DST.ADDR DST.PORT; undefined until complete. The command is checked by the caller. */
export function parseRequest(b: Buffer): Socks5Request | undefined {
  if (b.length < 5) return undefined;
  if (b[0] !== 0x05) return { reply: SocksReply.GENERAL_FAILURE };
  const command = b[1]!;
  let host: string;
  let at: number;
  switch (b[3]) {
    case AddressType.IPV4:
      if (b.length < 10) return undefined;
      host = `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
      at = 8;
      break;
    case AddressType.DOMAIN: {
      const len = b[4]!;
      if (len === 0) return { reply: SocksReply.GENERAL_FAILURE };
      at = 5 + len;
      if (b.length < at + 2) return undefined;
      host = b.toString('utf8', 5, at);
      break;
    }
    case AddressType.IPV6:
      if (b.length < 22) return undefined;
      host = ipaddr.fromByteArray(Array.from(b.subarray(4, 20))).toString();
      at = 20;
      break;
    default:
      return { reply: SocksReply.ADDRESS_TYPE_NOT_SUPPORTED };
  }
  return { command, host, port: b.readUInt16BE(at), size: at + 2 };
}

/** Replies carry BND.ADDR 0.0.0.0:0: clients of a CONNECT do not use it, and it costs no lookup. */
const replies = Array.from({ length: 9 }, (_, code) => Buffer.from([0x05, code, 0x00, AddressType.IPV4, 0, 0, 0, 0, 0, 0]));

export function socks5Reply(code: number): Buffer {
  return replies[code] ?? Buffer.from([0x05, code, 0x00, AddressType.IPV4, 0, 0, 0, 0, 0, 0]);
}

const methodReplies = new Map<number, Buffer>([Method.NO_AUTH, Method.USER_PASS, Method.NO_ACCEPTABLE].map((m) => [m, Buffer.from([0x05, m])]));
const AUTH_OK = Buffer.from([0x01, 0x00]);
const AUTH_FAILED = Buffer.from([0x01, 0x01]);

const answers: TunnelAnswers = {
  success: socks5Reply(SocksReply.SUCCEEDED),
  failure: (err) => socks5Reply(err ? err.socksReply : SocksReply.GENERAL_FAILURE),
};

const enum Stage {
  Greeting,
  Auth,
  Request,
}

/** One client's SOCKS5 handshake; the first byte (0x05) has been seen by the mixed listener. */
export class Socks5Handshake extends ClientHandshake {
  private stage = Stage.Greeting;

  protected advance(): void {
    for (;;) {
      switch (this.stage) {
        case Stage.Greeting: {
          const greeting = parseGreeting(this.buf);
          if (!greeting) return;
          this.consume(greeting.size);
          const method = chooseMethod(greeting.methods, this.ctx.credentials !== undefined);
          if (method === Method.NO_ACCEPTABLE) return this.fail(methodReplies.get(method));
          this.socket.write(methodReplies.get(method)!);
          this.stage = method === Method.USER_PASS ? Stage.Auth : Stage.Request;
          break;
        }
        case Stage.Auth: {
          const auth = parseUserPass(this.buf);
          if (!auth) return;
          if ('invalid' in auth) return this.fail(AUTH_FAILED);
          this.consume(auth.size);
          const credentials = this.ctx.credentials;
          if (credentials && !credentials.check(auth.user, auth.password)) {
            this.ctx.logger.debug({ src: this.socket.remoteAddress }, 'socks5 authentication failed');
            return this.fail(AUTH_FAILED);
          }
          this.socket.write(AUTH_OK);
          this.stage = Stage.Request;
          break;
        }
        case Stage.Request: {
          const request = parseRequest(this.buf);
          if (!request) return;
          if ('reply' in request) return this.fail(socks5Reply(request.reply));
          this.consume(request.size);
          if (request.command !== Command.CONNECT) return this.fail(socks5Reply(SocksReply.COMMAND_NOT_SUPPORTED));
          this.finish();
          void openTunnel(this.ctx, this.socket, newMeta('socks5', this.socket, request.host, request.port), answers);
          return;
        }
      }
    }
  }
}
