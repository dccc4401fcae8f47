import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SseParser, type SseMessage } from '../../src/client/sse-parser.js';

function parse(chunks: string[]): { messages: SseMessage[]; retries: number[] } {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    onMessage: (m) => messages.push(m),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { messages, retries };
}

test('frames with id, event and data; the id-less snapshot has no id', () => {
  const { messages, retries } = parse([
    'retry: 2000\n\nevent: status\ndata: {"s":1}\n\nid: a.1\nevent: progress\ndata: {"p":1}\n\n',
  ]);
  assert.deepEqual(retries, [2000]);
  assert.deepEqual(messages, [
    { id: undefined, event: 'status', data: '{"s":1}' },
    { id: 'a.1', event: 'progress', data: '{"p":1}' },
  ]);
});

test('CRLF, CR and LF line ends, a CR at the end of one chunk and LF at the start of the next', () => {
  const { messages } = parse(['id: 1\r', '\nevent: e\rdata: x\r\n\r', '\nid: 2\ndata: y\n\n']);
  assert.deepEqual(messages, [
    { id: '1', event: 'e', data: 'x' },
    { id: '2', event: 'message', data: 'y' },
  ]);
});

test('data lines are joined with LF; one leading space is removed; a bare field is empty', () => {
  const { messages } = parse(['data:  two spaces\ndata\ndata:x:y\n\n']);
  assert.deepEqual(messages, [{ id: undefined, event: 'message', data: ' two spaces\n\nx:y' }]);
});

test('comments, unknown fields, frames without data, bad retry values and NUL ids are ignored', () => {
  const { messages, retries } = parse([
    ': keep-alive\n\nevent: lonely\n\nfoo: bar\nretry: 1e3\nretry: -5\nid: a\0b\ndata: z\n\n',
  ]);
  assert.deepEqual(retries, []);
  assert.deepEqual(messages, [{ id: undefined, event: 'message', data: 'z' }]);
});

test('a frame left incomplete by the end of the stream is not dispatched', () => {
  const { messages } = parse(['id: 1\ndata: done\n\nid: 2\ndata: partial\n']);
  assert.deepEqual(
    messages.map((m) => m.id),
    ['1'],
  );
});

test('any split into chunks, including inside UTF-8 sequences, parses the same', () => {
  const frame = fc
    .record({
      id: fc.option(fc.stringMatching(/^[a-z0-9.~]{1,8}$/), { nil: undefined }),
      event: fc.constantFrom('status', 'progress', 'log', 'done'),
      data: fc.array(
        fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\r\n]/g, ' ')),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    })
    .map((f) => ({ ...f, data: f.data.map((d) => (d.startsWith(' ') ? `_${d}` : d)) }));
  const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
  fc.assert(
    fc.property(
      fc.array(fc.tuple(frame, lineEnd), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (frames, cuts) => {
        let text = 'retry: 50\n\n';
        for (const [f, eol] of frames) {
          if (f.id !== undefined) text += `id: ${f.id}${eol}`;
          text += `event: ${f.event}${eol}`;
          for (const d of f.data) text += `data: ${d}${eol}`;
          text += eol;
        }
        const bytes = new TextEncoder().encode(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new TextDecoder();
        const chunks: string[] = [];
        let from = 0;
        for (const at of [...points, bytes.length]) {
          chunks.push(decoder.decode(bytes.subarray(from, at), { stream: true }));
          from = at;
        }
        chunks.push(decoder.decode());
        const expected = frames.map(([f]) => ({
          id: f.id,
          event: f.event,
          data: f.data.join('\n'),
        }));
        const { messages, retries } = parse(chunks);
        assert.deepEqual(messages, expected);
        assert.deepEqual(retries, [50]);
      },
    ),
    { numRuns: 300 },
  );
});
