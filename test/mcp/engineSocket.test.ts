// The engine socket (src/rpc): a real engine served on a real unix socket, called through the client.
// Results and errors cross intact, undefined arguments keep their defaults, concurrent calls pair up,
// the socket and its directory are private, and a vanished owner fails pending calls clearly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ContextGcError } from '../../src/engine/model';
import { localEngineApi } from '../../src/protocol/engineApi';
import { connectEngineSocket, EngineSocketError, serveEngineSocket } from '../../src/rpc/engineSocket';
import { ENDPOINT_FILE, ownerEndpoint, publishEngine, readEndpoint, socketDir, socketPathFor } from '../../src/rpc/endpoint';
import { memoryEngine } from '../engine/helpers';
import { tempDir } from '../engine/storeHelpers';
import { openWorld, seed } from '../engine/toolsFixture';

const posix = process.platform !== 'win32';

test('calls cross the socket with their results; ContextGcError keeps reason, message and details', async () => {
  const { engine } = await memoryEngine({ settings: { budget: 1000 } });
  const sock = socketPathFor(tempDir('sock'));
  const server = await serveEngineSocket(localEngineApi(engine), sock, { purpose: 'test' });
  const client = connectEngineSocket(sock);
  const hello = await client.ready;
  assert.deepEqual(hello, { purpose: 'test', protocol: 1, pid: process.pid });
  const added = await client.addMany([{ text: 'first note', type: 'note', tags: ['a'] }, { text: 'second', type: 'decision' }]);
  assert.deepEqual(added.map((m) => [m.id, m.type, m.tags, m.tokens]), [[1, 'note', ['a'], 2], [2, 'decision', [], 1]]);
  assert.deepEqual(await client.totals(), { workingTokens: 3, workingSegments: 2, percent: 0.3, budget: 1000 });
  assert.equal((await client.get(1)).text, 'first note');
  await assert.rejects(client.stash([7]), (err: unknown) => {
    assert.ok(err instanceof ContextGcError);
    assert.equal(err.reason, 'not_found');
    assert.equal(err.message, 'No segment with id 7.');
    assert.deepEqual(err.details, { missing: [7] });
    return true;
  });
  await client.pin([2]);
  await assert.rejects(client.stash([2]), { name: 'ContextGcError', reason: 'pinned', message: 'Segment 2 is pinned; unpin before stashing.' });
  client.close();
  await server.close();
  await engine.close();
});

test('undefined arguments stay undefined (defaults apply), functions do not cross', async () => {
  const { engine } = await memoryEngine();
  await engine.setCurrentTask('t1');
  await engine.add({ text: 'in t1', type: 'note' });
  const sock = socketPathFor(tempDir('sock'));
  const server = await serveEngineSocket(localEngineApi(engine), sock);
  const client = connectEngineSocket(sock);
  const ctx = await client.taskContext(undefined, { limit: 1 });
  assert.equal(ctx.task.id, 't1');
  assert.equal(ctx.workingSegments, 1);
  assert.deepEqual(await client.setEncoding('cl100k_base', () => assert.fail('callbacks stay on this side')), { recounted: 1, tokenDelta: 0 });
  client.close();
  await server.close();
  await engine.close();
});

test('200 concurrent calls from three clients each get their own answer', async () => {
  const { engine } = await memoryEngine();
  const sock = socketPathFor(tempDir('sock'));
  const server = await serveEngineSocket(localEngineApi(engine), sock);
  const clients = [connectEngineSocket(sock), connectEngineSocket(sock), connectEngineSocket(sock)];
  const calls = Array.from({ length: 200 }, (_, i) => clients[i % 3].add({ text: `note ${i}`, type: 'note' }).then((m) => [i, m.id] as const));
  const results = await Promise.all(calls);
  assert.equal(new Set(results.map(([, id]) => id)).size, 200);
  for (const [i, id] of results) assert.equal(engine.get(id).text, `note ${i}`);
  assert.equal(server.connections(), 3);
  for (const c of clients) c.close();
  await server.close();
  await engine.close();
});

test('the socket is 0600 in a 0700 directory of this user; the endpoint names the lock holder', { skip: !posix }, async () => {
  const w = await openWorld();
  const pub = await publishEngine(w.api, w.dir, 'test owner');
  const st = fs.statSync(pub.endpoint.socket);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(fs.statSync(socketDir()).mode & 0o777, 0o700);
  assert.equal(path.dirname(pub.endpoint.socket), socketDir());
  assert.ok(pub.endpoint.socket.length < 104, 'fits sun_path');
  assert.deepEqual(readEndpoint(w.dir), pub.endpoint);
  assert.equal(fs.statSync(path.join(w.dir, ENDPOINT_FILE)).mode & 0o777, 0o600);
  const found = ownerEndpoint(w.dir);
  assert.equal(found.owner?.purpose, 'tools test');
  assert.deepEqual(found.endpoint, pub.endpoint);
  await pub.close();
  assert.equal(readEndpoint(w.dir), undefined);
  assert.equal(fs.existsSync(pub.endpoint.socket), false);
  await w.close();
});

test('an endpoint left by another pid than the lock holder is not trusted', async () => {
  const w = await openWorld();
  fs.writeFileSync(path.join(w.dir, ENDPOINT_FILE), JSON.stringify({ socket: '/nonexistent.sock', pid: 999999, purpose: 'old', startedAt: 0, protocol: 1 }));
  assert.equal(ownerEndpoint(w.dir).endpoint, undefined);
  await w.close();
});

test('when the owner goes away, pending and later calls fail with "disconnected"', async () => {
  const w = await openWorld();
  await seed(w);
  const sock = socketPathFor(w.dir);
  const server = await serveEngineSocket(w.api, sock);
  const client = connectEngineSocket(sock);
  await client.ready;
  let closedWith: unknown = 'open';
  client.onClose((err) => (closedWith = err));
  // A call in flight while the owner closes is either answered first or fails as disconnected.
  const slow = client.usage();
  await server.close();
  await assert.rejects(slow.then(() => client.info()), (err: unknown) => err instanceof EngineSocketError && err.reason === 'disconnected');
  await assert.rejects(client.info(), {
    name: 'EngineSocketError',
    reason: 'disconnected',
    message: `The connection to the Context GC store owner (${sock}) is closed.`,
  });
  assert.equal(closedWith, undefined);
  assert.equal(client.closed, true);
  await w.close();
});

test('a server that speaks another protocol version is refused with a clear message', async () => {
  const sock = socketPathFor(tempDir('sock'));
  const srv = net.createServer((c) => c.write(JSON.stringify({ hello: { protocol: 99, pid: 1 } }) + '\n'));
  await new Promise<void>((r) => srv.listen(sock, r));
  const client = connectEngineSocket(sock);
  await assert.rejects(client.ready, { name: 'EngineSocketError', reason: 'protocol', message: 'The store owner speaks engine-socket protocol 99; this process speaks 1. Update Context GC everywhere.' });
  await assert.rejects(client.info(), { reason: 'disconnected' });
  await new Promise<void>((r) => srv.close(() => r()));
});

test('connecting to nothing fails at once with the path', async () => {
  const sock = socketPathFor(tempDir('sock'), 424242);
  const client = connectEngineSocket(sock);
  await assert.rejects(client.ready, (err: unknown) => err instanceof EngineSocketError && err.reason === 'disconnected' && err.message.startsWith(`Cannot reach the Context GC store owner at ${sock}: `));
});
