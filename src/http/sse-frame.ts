// CR, LF and NUL would end or corrupt an SSE field; ids and types are ours, so this only guards.
const UNSAFE_FIELD = /[\r\n\0]/;

/**
 * Builds one SSE frame. `data` must be JSON (which never holds a raw line break). Frames are
 * encoded here rather than by @fastify/sse, which drops `id: 0` and lets CR/LF in `id` or
 * `event` forge fields.
 */
export function sseFrame(type: string, data: string, id?: string): string {
  if (UNSAFE_FIELD.test(type) || (id !== undefined && UNSAFE_FIELD.test(id))) {
    throw new Error('SSE id and event fields must not contain CR, LF or NUL');
  }
  if (UNSAFE_FIELD.test(data)) throw new Error('SSE data must be single-line JSON');
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${data}\n\n`;
}
