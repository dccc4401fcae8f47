import { CARRIED_BY_META_KEY, isRecord, type StreamTag } from './call-attribution.js';

/**
 * On Streamable HTTP a server sends the requests and notifications that belong to one of our
 * requests on that request's POST response stream; the SDK's client transport hands them on
 * without saying which stream carried them. This fetch, given to the transport, marks them:
 * on the response stream of a `tools/call` (known by our progress token) or of a `tasks/result`
 * (known by its task id) it writes `_meta[CARRIED_BY_META_KEY]` into each server request and log
 * notification before the SDK parses it, so the request handler or notification handler reads
 * the tie from the message itself (call-attribution.ts). Every other byte passes unchanged
 * (progress notifications, responses, event ids, comments), and other responses are untouched.
 *
 * A stream the SDK resumes with `GET` and `Last-Event-ID` after it broke keeps its tag.
 */
export function tagResponseStreams(base: typeof fetch = globalThis.fetch): typeof fetch {
  // Last event id of each tagged stream -> its tag, for resumption; bounded, oldest dropped.
  const resumable = new Map<string, StreamTag>();
  const remember = (eventId: string, previous: string | undefined, tag: StreamTag) => {
    if (previous !== undefined) resumable.delete(previous);
    resumable.set(eventId, tag);
    if (resumable.size > MAX_RESUMABLE) resumable.delete(resumable.keys().next().value!);
  };
  return async (input, init) => {
    const method = init?.method?.toUpperCase() ?? 'GET';
    let tag: StreamTag | undefined;
    if (method === 'POST') tag = tagOfRequest(init?.body);
    else if (method === 'GET') {
      const lastEventId = new Headers(init?.headers).get('last-event-id');
      if (lastEventId !== null) tag = resumable.get(lastEventId);
    }
    const response = await base(input, init);
    if (!tag || !response.ok || !response.body) return response;
    const type = response.headers.get('content-type') ?? '';
    if (!/^\s*text\/event-stream\b/i.test(type)) return response;
    let lastId: string | undefined;
    const body = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(
        tagEvents(tag, (id) => {
          remember(id, lastId, tag);
          lastId = id;
        }),
      )
      .pipeThrough(new TextEncoderStream());
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

const MAX_RESUMABLE = 256;

/** Methods whose messages are attributed to calls (input-requests.ts). */
const TAGGED_METHODS = [
  'elicitation/create',
  'sampling/createMessage',
  'roots/list',
  'notifications/message',
];

/** The tag for the response stream of the JSON-RPC request in `body`, if it is one we follow. */
export function tagOfRequest(body: unknown): StreamTag | undefined {
  if (typeof body !== 'string') return undefined;
  if (!body.includes('"tools/call"') && !body.includes('"tasks/result"')) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || !isRecord(message.params)) return undefined;
  const { params } = message;
  if (message.method === 'tools/call') {
    const token = isRecord(params._meta) ? params._meta.progressToken : undefined;
    return typeof token === 'string' ? { progressToken: token } : undefined;
  }
  if (message.method === 'tasks/result' && typeof params.taskId === 'string') {
    return { taskId: params.taskId };
  }
  return undefined;
}

/**
 * Rewrites the single-line `data:` fields that hold a server request or log notification so
 * their params carry `tag`; reports each event id. Lines end in CRLF, LF or CR, as SSE allows.
 */
export function tagEvents(
  tag: StreamTag,
  onEventId: (id: string) => void,
): TransformStream<string, string> {
  let pending = '';
  const line = (text: string): string => {
    if (text.startsWith('id:')) {
      const id = text.slice(text.startsWith('id: ') ? 4 : 3);
      if (!id.includes('\0')) onEventId(id);
      return text;
    }
    if (!text.startsWith('data:')) return text;
    const data = text.slice(text.startsWith('data: ') ? 6 : 5);
    const tagged = tagMessage(data, tag);
    return tagged === undefined ? text : `data: ${tagged}`;
  };
  const process = (chunk: string, flush: boolean): string => {
    const text = pending + chunk;
    let out = '';
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (c === 13 && i === text.length - 1 && !flush) break;
      const end = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      out += line(text.slice(start, i)) + text.slice(i, end);
      start = end;
      i = end - 1;
    }
    pending = text.slice(start);
    if (flush && pending !== '') {
      out += line(pending);
      pending = '';
    }
    return out;
  };
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      const out = process(chunk, false);
      if (out !== '') controller.enqueue(out);
    },
    flush(controller) {
      const out = process('', true);
      if (out !== '') controller.enqueue(out);
    },
  });
}

/** `data` with `tag` written into its params' `_meta`, or undefined to leave it as it is. */
function tagMessage(data: string, tag: StreamTag): string | undefined {
  if (!TAGGED_METHODS.some((m) => data.includes(`"${m}"`))) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || typeof message.method !== 'string') return undefined;
  if (!TAGGED_METHODS.includes(message.method)) return undefined;
  const params = isRecord(message.params) ? message.params : {};
  const meta = isRecord(params._meta) ? params._meta : {};
  return JSON.stringify({
    ...message,
    params: { ...params, _meta: { ...meta, [CARRIED_BY_META_KEY]: tag } },
  });
}
