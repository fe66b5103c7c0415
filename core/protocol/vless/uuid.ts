import { z } from 'zod';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id field; the message never echoes the value, which is a credential. */
export const uuidField = () =>
  z
    .string({ error: 'expected a UUID (8-4-4-4-12 hex digits)' })
    .regex(UUID_RE, { error: 'expected a UUID (8-4-4-4-12 hex digits)' });

/** "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" → its 16 bytes. */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}
