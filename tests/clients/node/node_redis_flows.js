'use strict';
// Direct node-redis (v4) calls: strings with TTLs, pipelines (auto and execAsPipeline),
// MULTI/EXEC (errors, WATCH abort through executeIsolated), hashes, sets,
// scanIterator/hScanIterator/sScanIterator, pub/sub, and recovery after the server restarts
// (reconnectStrategy; under run_clients.py).
//
//   LK_HOST=127.0.0.1 LK_PORT=6379 node node_redis_flows.js

const { createClient, WatchError } = require('redis');
const { assert, HOST, PORT, CONTROL, step, waitFor, control, main } = require('./lib/common');

const DB = 3;
const NAME = 'lk-node-redis';

async function drain(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

main('node-redis flows', async () => {
  const client = createClient({
    socket: { host: HOST, port: PORT, reconnectStrategy: (retries) => Math.min(retries * 50, 200) },
    database: DB,
    name: NAME,
  });
  // Connection errors while the server restarts are expected; every command reports its own.
  client.on('error', () => {});
  const other = client.duplicate({ name: `${NAME}-other` });
  other.on('error', () => {});

  await step('connect (SELECT db, CLIENT SETNAME)', async () => {
    await client.connect();
    await other.connect();
    assert.ok(client.isReady);
    assert.equal(await client.clientGetName(), NAME);
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.flushDb(), 'OK');
    assert.equal(await client.dbSize(), 0);
  });

  await step('strings with TTLs', async () => {
    assert.equal(await client.set('s:a', 'v1', { EX: 30 }), 'OK');
    assert.equal(await client.get('s:a'), 'v1');
    const pttl = await client.pTTL('s:a');
    assert.ok(pttl > 28000 && pttl <= 30000, `PTTL ${pttl}`);
    assert.equal(await client.ttl('s:a'), 30);
    assert.equal(await client.set('s:a', 'v2', { NX: true }), null);
    assert.equal(await client.set('s:a', 'v2', { XX: true, KEEPTTL: true }), 'OK');
    assert.ok((await client.pTTL('s:a')) > 28000, 'KEEPTTL lost the TTL');
    assert.equal(await client.persist('s:a'), true);
    assert.equal(await client.ttl('s:a'), -1);
    assert.equal(await client.pExpire('s:a', 5000), true);
    assert.ok((await client.pTTL('s:a')) <= 5000);
    assert.equal(await client.setEx('s:b', 10, 'x'), 'OK');
    assert.equal(await client.ttl('s:b'), 10);
    assert.equal(await client.ttl('s:none'), -2);
    assert.equal(await client.incr('s:n'), 1);
    assert.equal(await client.incrBy('s:n', 41), 42);
    assert.equal(await client.mSet({ 's:m1': 'a', 's:m2': 'b' }), 'OK');
    assert.deepEqual(await client.mGet(['s:m1', 's:m2', 's:none']), ['a', 'b', null]);
    assert.equal(await client.exists(['s:m1', 's:m2', 's:none']), 2);
    assert.equal(await client.del(['s:m1', 's:m2', 's:none']), 2);
    assert.equal(await client.getDel('s:n'), '42');
    assert.equal(await client.type('s:b'), 'string');
  });

  await step('auto-pipelining: 200 commands issued in one tick', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `ap:${i}`);
    const sets = await Promise.all(keys.map((k, i) => client.set(k, String(i), { PX: 60000 })));
    assert.ok(sets.every((r) => r === 'OK'));
    const gets = await Promise.all(keys.map((k) => client.get(k)));
    gets.forEach((v, i) => assert.equal(v, String(i)));
  });

  await step('execAsPipeline: replies in order; an error rejects, the other commands still run', async () => {
    const ok = await client.multi().set('p:a', '1').incr('p:a').get('p:a').expire('p:a', 60).execAsPipeline();
    assert.deepEqual(ok, ['OK', 2, '2', true]);
    await client.set('p:str', 'not a number');
    await assert.rejects(
      client.multi().set('p:b', '1').incr('p:str').set('p:c', '3').execAsPipeline(),
      /not an integer/,
    );
    assert.deepEqual(await client.mGet(['p:b', 'p:c']), ['1', '3']);
  });

  await step('MULTI/EXEC: atomic batch, runtime error inside EXEC', async () => {
    assert.deepEqual(await client.multi().set('m:a', '1').incr('m:a').get('m:a').exec(), ['OK', 2, '2']);
    await assert.rejects(
      client.multi().set('m:s', 'x').incr('m:s').get('m:s').exec(),
      (err) => {
        assert.deepEqual(err.errorIndexes, [1]);
        assert.equal(err.replies[0], 'OK');
        assert.equal(err.replies[2], 'x');
        return true;
      },
    );
    assert.equal(await client.get('m:s'), 'x');
  });

  await step('MULTI/EXEC: a queueing error aborts the transaction (EXECABORT)', async () => {
    await assert.rejects(
      client.multi().set('m:q', '1').addCommand(['SET', 'm:q']).exec(),
      (err) => /EXECABORT/.test(err.message),
    );
    assert.equal(await client.exists('m:q'), 0);
  });

  await step('WATCH on an isolated connection: a concurrent write aborts EXEC', async () => {
    await client.set('w:k', 'start');
    await client.executeIsolated(async (isolated) => {
      assert.equal(await isolated.watch('w:k'), 'OK');
      await other.set('w:k', 'theirs');
      await assert.rejects(isolated.multi().set('w:k', 'mine').exec(), WatchError);
    });
    assert.equal(await client.get('w:k'), 'theirs');
    await client.executeIsolated(async (isolated) => {
      await isolated.watch('w:k');
      assert.deepEqual(await isolated.multi().set('w:k', 'mine').exec(), ['OK']);
      await isolated.watch('w:k');
      await other.set('w:k', 'theirs again');
      assert.equal(await isolated.unwatch(), 'OK');
      assert.deepEqual(await isolated.multi().set('w:k', 'mine again').exec(), ['OK']);
    });
    assert.equal(await client.get('w:k'), 'mine again');
  });

  await step('hashes', async () => {
    assert.equal(await client.hSet('h:u1', { name: 'alice', role: 'admin' }), 2);
    assert.equal(await client.hSet('h:u1', [['role', 'user'], ['logins', '1']]), 1);
    assert.equal(await client.hGet('h:u1', 'name'), 'alice');
    assert.equal(await client.hGet('h:u1', 'missing'), null);
    assert.deepEqual(await client.hmGet('h:u1', ['name', 'role', 'missing']), ['alice', 'user', null]);
    assert.deepEqual({ ...(await client.hGetAll('h:u1')) }, { name: 'alice', role: 'user', logins: '1' });
    assert.equal(await client.hIncrBy('h:u1', 'logins', 4), 5);
    assert.equal(await client.hExists('h:u1', 'role'), true);
    assert.equal(await client.hSetNX('h:u1', 'role', 'root'), false);
    assert.equal(await client.hLen('h:u1'), 3);
    assert.deepEqual((await client.hKeys('h:u1')).sort(), ['logins', 'name', 'role']);
    assert.deepEqual((await client.hVals('h:u1')).sort(), ['5', 'alice', 'user']);
    assert.equal(await client.hDel('h:u1', ['role', 'missing']), 1);
    assert.equal(await client.type('h:u1'), 'hash');
    assert.deepEqual({ ...(await client.hGetAll('h:none')) }, {});
    assert.equal(await client.expire('h:u1', 60), true);
    assert.ok((await client.ttl('h:u1')) > 0);
  });

  await step('sets', async () => {
    assert.equal(await client.sAdd('set:a', ['x', 'y', 'z']), 3);
    assert.equal(await client.sAdd('set:a', ['x', 'w']), 1);
    assert.equal(await client.sIsMember('set:a', 'y'), true);
    assert.equal(await client.sIsMember('set:a', 'nope'), false);
    assert.equal(await client.sCard('set:a'), 4);
    assert.deepEqual((await client.sMembers('set:a')).sort(), ['w', 'x', 'y', 'z']);
    assert.equal(await client.sRem('set:a', ['x', 'nope']), 1);
    assert.equal(await client.type('set:a'), 'set');
    assert.deepEqual(await client.sMembers('set:none'), []);
  });

  await step('scanIterator: SCAN MATCH COUNT over 270 keys', async () => {
    const writes = [];
    for (let i = 0; i < 250; i += 1) writes.push(client.set(`scan:${i}`, String(i)));
    for (let i = 0; i < 20; i += 1) writes.push(client.set(`other:${i}`, String(i)));
    await Promise.all(writes);
    const keys = new Set(await drain(client.scanIterator({ MATCH: 'scan:*', COUNT: 50 })));
    assert.equal(keys.size, 250, `SCAN MATCH found ${keys.size} keys`);
    for (let i = 0; i < 250; i += 1) assert.ok(keys.has(`scan:${i}`), `SCAN missed scan:${i}`);
  });

  await step('hScanIterator: HSCAN MATCH COUNT over 600 fields', async () => {
    const fields = {};
    for (let i = 0; i < 600; i += 1) fields[`f${i}`] = `v${i}`;   // above Redis' listpack limit
    assert.equal(await client.hSet('scan-hash', fields), 600);
    const found = new Map();
    for (const { field, value } of await drain(client.hScanIterator('scan-hash', { MATCH: 'f1*', COUNT: 50 }))) {
      found.set(field, value);
    }
    const expected = Object.keys(fields).filter((f) => f.startsWith('f1'));
    assert.equal(found.size, expected.length, `HSCAN MATCH found ${found.size} fields`);
    for (const f of expected) assert.equal(found.get(f), fields[f]);
  });

  await step('sScanIterator: SSCAN COUNT over 300 members', async () => {
    assert.equal(await client.sAdd('scan-set', Array.from({ length: 300 }, (_, i) => `m${i}`)), 300);
    const members = new Set(await drain(client.sScanIterator('scan-set', { COUNT: 50 })));
    assert.equal(members.size, 300, `SSCAN found ${members.size} members`);
  });

  const sub = client.duplicate({ name: `${NAME}-sub` });
  sub.on('error', () => {});
  const messages = [];
  const onMessage = (message, channel) => messages.push(['message', channel, message]);
  const onPMessage = (message, channel) => messages.push(['pmessage', channel, message]);

  await step('pub/sub: subscribe, pSubscribe, messages, unsubscribe', async () => {
    await sub.connect();
    await sub.subscribe(['news', 'alerts'], onMessage);
    await sub.pSubscribe('user.*', onPMessage);
    assert.equal(await client.publish('news', 'hello'), 1);
    assert.equal(await client.publish('user.42', 'login'), 1);
    assert.equal(await client.publish('alerts', 'fire'), 1);
    assert.equal(await client.publish('nobody', 'x'), 0);
    await waitFor('3 messages', () => messages.length >= 3);
    assert.deepEqual(messages.splice(0), [
      ['message', 'news', 'hello'],
      ['pmessage', 'user.42', 'login'],
      ['message', 'alerts', 'fire'],
    ]);
    await sub.unsubscribe('news');
    assert.equal(await client.publish('news', 'unheard'), 0);
    await sub.pUnsubscribe('user.*');
    assert.equal(await client.publish('user.1', 'unheard'), 0);
    assert.equal(await client.publish('alerts', 'still'), 1);
    await waitFor('the alerts message', () => messages.length >= 1);
    assert.deepEqual(messages.splice(0), [['message', 'alerts', 'still']]);
  });

  if (CONTROL) {
    await step('reconnect after the server restarts (reconnectStrategy, offline queue, db and name restored)', async () => {
      await client.set('persist:k', 'before restart');
      await control('stop');
      await waitFor('node-redis to notice the server is gone', () => !client.isReady);
      const queued = client.get('persist:k');          // held in the offline queue
      await control('start');
      assert.equal(await queued, 'before restart');
      await waitFor('ready', () => client.isReady);
      assert.equal(await client.clientGetName(), NAME, 'connection name not restored');
      const [value, pong] = await Promise.all([client.get('persist:k'), client.ping()]);
      assert.deepEqual([value, pong], ['before restart', 'PONG']);
      await waitFor('the second client to reconnect', () => other.isReady);
      assert.equal(await other.get('persist:k'), 'before restart');
    });

    await step('MULTI/EXEC after the restart', async () => {
      assert.deepEqual(await client.multi().incr('persist:n').incr('persist:n').exec(), [1, 2]);
    });

    await step('the subscriber resubscribes after the restart', async () => {
      await waitFor('the subscriber to resubscribe', async () => (await client.publish('alerts', 'back')) >= 1);
      await waitFor('the message after the restart', () => messages.length >= 1);
      assert.deepEqual(messages.splice(0), [['message', 'alerts', 'back']]);
    });
  } else {
    console.log('  skip reconnect after the server restarts (LK_CONTROL not set)');
  }

  await step('clean up', async () => {
    await client.flushDb();
    await sub.quit();
    await other.quit();
    assert.equal(await client.quit(), 'OK');
  });
});
