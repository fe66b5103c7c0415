import { z } from 'zod';
import { baseProxyShape, describe } from '../../config/fields.js';
import { decodePsk } from './keys.js';
import { findMethod, methodNames } from './methods.js';

/** Plugins we can carry; anything else is refused by name rather than silently dialled without it. */
export const supportedPlugins = ['obfs'] as const;
/** mihomo's default disguise host when plugin-opts.host is absent. */
export const DEFAULT_OBFS_HOST = 'bing.com';

export const obfsOptsSchema = z.object(
  {
    mode: z.enum(['http', 'tls'], { error: (iss) => `expected one of http, tls, got ${describe(iss.input)}` }),
    host: z.string({ error: (iss) => `expected a host name, got ${describe(iss.input)}` }).min(1, 'expected a host name, got ""').optional(),
  },
  { error: (iss) => `expected a mapping with mode (http or tls) and host, got ${describe(iss.input)}` },
);
export type ObfsPluginOptions = z.infer<typeof obfsOptsSchema>;

/** A secret: accepted as text or a YAML number (Clash reads both), never echoed in an error. */
const secret = () =>
  z
    // Only strings and numbers pass, so the value in the message is never the secret's text.
    .union([z.string(), z.number()], { error: (iss) => `expected a password string, got ${describe(iss.input)}` })
    .transform(String)
    .refine((s) => s.length > 0, { error: 'expected a non-empty password' });

export const shadowsocksSchema = z
  .object({
    ...baseProxyShape,
    type: z.literal('ss', { error: (iss) => `expected "ss", got ${describe(iss.input)}` }),
    cipher: z.enum(methodNames, { error: (iss) => `expected one of ${methodNames.join(', ')}, got ${describe(iss.input)}` }),
    password: secret(),
    plugin: z.string({ error: (iss) => `expected a plugin name, got ${describe(iss.input)}` }).optional(),
    'plugin-opts': z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((c, ctx) => {
    const method = findMethod(c.cipher);
    if (method?.edition === '2022' && !decodePsk(c.password, method.keySize)) {
      // "iPSK:uPSK" is SIP023's multi-user form (identity headers), which we do not speak.
      const multiUser = c.password.includes(':') ? '; multi-user keys (iPSK:uPSK) are not supported' : '';
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: `expected a base64 key of ${method.keySize} bytes for ${c.cipher} (make one with \`openssl rand -base64 ${method.keySize}\`)${multiUser}`,
      });
    }
    if (c.plugin !== undefined && !(supportedPlugins as readonly string[]).includes(c.plugin)) {
      ctx.addIssue({ code: 'custom', path: ['plugin'], message: `unsupported plugin ${describe(c.plugin)}; supported: ${supportedPlugins.join(', ')}` });
    }
    if (c.plugin === 'obfs') {
      const opts = obfsOptsSchema.safeParse(c['plugin-opts']);
      for (const issue of opts.success ? [] : opts.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['plugin-opts', ...(issue.path as (string | number)[])], message: issue.message });
      }
    }
  });

export type ShadowsocksConfig = z.infer<typeof shadowsocksSchema>;
