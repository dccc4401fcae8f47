import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { readProgress, routeProgressFirst } from '../../src/upstream/progress-fast-path.js';
import { waitUntil } from '../helpers/wait.js';

const progress = (params: unknown) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params,
});

test('readProgress accepts exactly the progress notifications the MCP schema allows', () => {
  assert.deepEqual(readProgress(progress({ progressToken: 'a', progress: 1 })), {
    progressToken: 'a',
    progress: 1,
    total: undefined,
    message: undefined,
  });
  assert.deepEqual(
    readProgress(
      progress({ progressToken: 7, progress: 0.5, total: 2, message: 'half', _meta: {} }),
    ),
    { progressToken: 7, progress: 0.5, total: 2, message: 'half' },
  );
  for (const params of [
    undefined,
    null,
    'x',
    {},
    { progressToken: 'a' },
    { progressToken: 'a', progress: '1' },
    { progressToken: 'a', progress: null },
    { progressToken: true, progress: 1 },
    { progressToken: null, progress: 1 },
    { progressToken: 'a', progress: 1, total: '2' },
    { progressToken: 'a', progress: 1, total: null },
    { progressToken: 'a', progress: 1, message: 3 },
  ]) {
    assert.equal(readProgress(progress(params)), undefined, JSON.stringify(params));
  }
  const ok = { progressToken: 'a', progress: 1 };
  assert.equal(readProgress({ ...progress(ok), jsonrpc: '1.0' }), undefined);
  assert.equal(
    readProgress({ ...progress(ok), id: 1 }),
    undefined,
    'a request, not a notification',
  );
  assert.equal(readProgress({ ...progress(ok), method: 'notifications/message' }), undefined);
  for (const other of [null, undefined, 'notifications/progress', 42, []]) {
    assert.equal(readProgress(other), undefined);
  }
});

test('well-formed progress skips the SDK; everything else still goes through it', async (t) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = new Server({ name: 'raw', version: '0.0.0' }, { capabilities: {} });
  const client = new Client({ name: 'test', version: '0.0.0' }, { capabilities: {} });
  t.after(async () => {
    await client.close();
    await server.close();
  });
  const viaSdk: unknown[] = [];
  const errors: Error[] = [];
  client.setNotificationHandler(ProgressNotificationSchema, (n) => {
    viaSdk.push(n.params);
  });
  client.onerror = (error) => errors.push(error);
  await server.connect(serverSide);
  await client.connect(clientSide);
  const routed: unknown[] = [];
  routeProgressFirst(clientSide, (notice) => routed.push(notice));

  // Sent by the server side as raw JSON-RPC, in this order.
  await serverSide.send(progress({ progressToken: 'job', progress: 1, total: 3 }) as never);
  await serverSide.send(progress({ progressToken: 'job', progress: 'two' }) as never);
  await serverSide.send(progress({ progressToken: 'job', progress: 3, message: 'done' }) as never);
  // A request still reaches the SDK, which answers it.
  assert.deepEqual(await server.ping(), {});

  assert.deepEqual(routed, [
    { progressToken: 'job', progress: 1, total: 3, message: undefined },
    { progressToken: 'job', progress: 3, total: undefined, message: 'done' },
  ]);
  // The malformed one went to the SDK, whose schema refused it: an error, not a handler call.
  await waitUntil(() => errors.length > 0, 'the SDK to report the malformed notification');
  assert.deepEqual(viaSdk, []);
});

test('progress routed past the SDK stays in order with the notifications that go through it', async (t) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = new Server({ name: 'raw', version: '0.0.0' }, { capabilities: { logging: {} } });
  const client = new Client({ name: 'test', version: '0.0.0' }, { capabilities: {} });
  t.after(async () => {
    await client.close();
    await server.close();
  });
  const order: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    order.push(`log ${String(n.params.data)}`);
  });
  await server.connect(serverSide);
  await client.connect(clientSide);
  routeProgressFirst(clientSide, (notice) => order.push(`progress ${notice.progress}`));

  // Sent in one go, as a burst read from a pipe arrives: no await between the messages.
  const expected: string[] = [];
  const sent: Promise<void>[] = [];
  for (let i = 1; i <= 20; i++) {
    if (i % 3 === 0) {
      sent.push(
        serverSide.send({
          jsonrpc: '2.0',
          method: 'notifications/message',
          params: { level: 'info', data: String(i) },
        }),
      );
      expected.push(`log ${i}`);
    } else {
      sent.push(serverSide.send(progress({ progressToken: 'job', progress: i }) as never));
      expected.push(`progress ${i}`);
    }
  }
  await Promise.all(sent);
  await waitUntil(() => order.length === expected.length, 'every notification');
  assert.deepEqual(order, expected);
});

test('routeProgressFirst refuses a transport that is not connected', () => {
  const [clientSide] = InMemoryTransport.createLinkedPair();
  assert.throws(() => routeProgressFirst(clientSide, () => {}), /connected transport/);
});
