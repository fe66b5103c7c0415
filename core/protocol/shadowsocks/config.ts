import { z } from 'zod';
import { baseProxyShape, describe } from '../../config/fields.js';
import { decodePsk } from './keys.js';
import { findMethod, methodNames } from './methods.js';

/** Plugins we can carry; anything else is refused by name rather than silently dialled without it. */
export const supportedPlugins = [] as const;

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
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: `expected a base64 key of ${method.keySize} bytes for ${c.cipher} (make one with \`openssl rand -base64 ${method.keySize}\`)`,
      });
    }
    if (c.plugin !== undefined && !(supportedPlugins as readonly string[]).includes(c.plugin)) {
      ctx.addIssue({
        code: 'custom',
        path: ['plugin'],
        message: `unsupported plugin ${describe(c.plugin)}; ${supportedPlugins.length ? `supported: ${supportedPlugins.join(', ')}` : 'no shadowsocks plugins are supported yet'}`,
      });
    }
  });

export type ShadowsocksConfig = z.infer<typeof shadowsocksSchema>;
