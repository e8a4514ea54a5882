'use strict';
// Direct ioredis calls: strings with TTLs, pipelines (explicit and auto), MULTI/EXEC (errors,
// WATCH abort, DISCARD), hashes, sets, scanStream/hscanStream/sscanStream, pub/sub, and recovery
// after the server restarts (under run_clients.py).
//
//   LK_HOST=127.0.0.1 LK_PORT=6379 node ioredis_flows.js

const Redis = require('ioredis');
const { assert, HOST, PORT, CONTROL, step, waitFor, control, main } = require('./lib/common');

const DB = 2;
const NAME = 'lk-ioredis';

function collect(stream) {
  return new Promise((resolve, reject) => {
    const batches = [];
    stream.on('data', (batch) => batches.push(batch));
    stream.on('end', () => resolve(batches));
    stream.on('error', reject);
  });
}

main('ioredis flows', async () => {
  const options = {
    host: HOST,
    port: PORT,
    db: DB,
    connectionName: NAME,
    lazyConnect: true,
    maxRetriesPerRequest: 50,
    retryStrategy: (times) => Math.min(times * 50, 200),
  };
  const redis = new Redis(options);
  // Connection errors while the server restarts are expected; every command reports its own.
  redis.on('error', () => {});
  const other = new Redis({ ...options, connectionName: `${NAME}-other` });
  other.on('error', () => {});

  await step('connect (SELECT db, CLIENT SETNAME, ready check)', async () => {
    await redis.connect();
    await other.connect();
    assert.equal(redis.status, 'ready');
    assert.equal(await redis.client('GETNAME'), NAME);
    assert.equal(await redis.ping(), 'PONG');
    assert.equal(await redis.flushdb(), 'OK');
    assert.equal(await redis.dbsize(), 0);
  });

  await step('strings with TTLs', async () => {
    assert.equal(await redis.set('s:a', 'v1', 'EX', 30), 'OK');
    assert.equal(await redis.get('s:a'), 'v1');
    const pttl = await redis.pttl('s:a');
    assert.ok(pttl > 28000 && pttl <= 30000, `PTTL ${pttl}`);
    assert.equal(await redis.ttl('s:a'), 30);
    assert.equal(await redis.set('s:a', 'v2', 'NX'), null);
    assert.equal(await redis.set('s:a', 'v2', 'XX', 'KEEPTTL'), 'OK');
    assert.ok((await redis.pttl('s:a')) > 28000, 'KEEPTTL lost the TTL');
    assert.equal(await redis.persist('s:a'), 1);
    assert.equal(await redis.ttl('s:a'), -1);
    assert.equal(await redis.pexpire('s:a', 5000), 1);
    assert.ok((await redis.pttl('s:a')) <= 5000);
    assert.equal(await redis.setex('s:b', 10, 'x'), 'OK');
    assert.equal(await redis.ttl('s:b'), 10);
    assert.equal(await redis.ttl('s:none'), -2);
    assert.equal(await redis.incr('s:n'), 1);
    assert.equal(await redis.incrby('s:n', 41), 42);
    assert.equal(await redis.mset({ 's:m1': 'a', 's:m2': 'b' }), 'OK');
    assert.deepEqual(await redis.mget('s:m1', 's:m2', 's:none'), ['a', 'b', null]);
    assert.equal(await redis.exists('s:m1', 's:m2', 's:none'), 2);
    assert.equal(await redis.del('s:m1', 's:m2', 's:none'), 2);
    assert.equal(await redis.getdel('s:n'), '42');
    assert.equal(await redis.type('s:b'), 'string');
  });

  await step('pipeline: replies in order, one error does not stop the rest', async () => {
    await redis.set('p:str', 'not a number');
    const results = await redis.pipeline()
      .set('p:a', '1')
      .incr('p:a')
      .get('p:a')
      .incr('p:str')
      .expire('p:a', 60)
      .exec();
    assert.equal(results.length, 5);
    assert.deepEqual(results[0], [null, 'OK']);
    assert.deepEqual(results[1], [null, 2]);
    assert.deepEqual(results[2], [null, '2']);
    assert.ok(results[3][0] instanceof Error, 'INCR of a string did not fail');
    assert.match(results[3][0].message, /not an integer/);
    assert.deepEqual(results[4], [null, 1]);
  });

  await step('auto-pipelining: 200 commands in flight at once', async () => {
    const auto = new Redis({ ...options, enableAutoPipelining: true, lazyConnect: false });
    auto.on('error', () => {});
    const keys = Array.from({ length: 200 }, (_, i) => `ap:${i}`);
    const sets = await Promise.all(keys.map((k, i) => auto.set(k, String(i), 'PX', 60000)));
    assert.ok(sets.every((r) => r === 'OK'));
    const gets = await Promise.all(keys.map((k) => auto.get(k)));
    gets.forEach((v, i) => assert.equal(v, String(i)));
    await auto.quit();
  });

  await step('MULTI/EXEC: atomic batch, runtime error inside EXEC', async () => {
    const ok = await redis.multi().set('m:a', '1').incr('m:a').get('m:a').exec();
    assert.deepEqual(ok, [[null, 'OK'], [null, 2], [null, '2']]);
    const mixed = await redis.multi().set('m:s', 'x').incr('m:s').get('m:s').exec();
    assert.deepEqual(mixed[0], [null, 'OK']);
    assert.ok(mixed[1][0] instanceof Error, 'INCR of a string inside EXEC did not fail');
    assert.deepEqual(mixed[2], [null, 'x']);
  });

  await step('MULTI/EXEC: a queueing error aborts the transaction (EXECABORT)', async () => {
    await assert.rejects(
      redis.multi().set('m:q', '1').set('m:q').exec(),
      (err) => /EXECABORT/.test(err.message),
    );
    assert.equal(await redis.exists('m:q'), 0);
  });

  await step('MULTI without pipelining: QUEUED replies, DISCARD', async () => {
    assert.equal(await redis.multi({ pipeline: false }), 'OK');
    assert.equal(await redis.set('d:k', '1'), 'QUEUED');
    assert.equal(await redis.incr('d:k'), 'QUEUED');
    assert.equal(await redis.discard(), 'OK');
    assert.equal(await redis.exists('d:k'), 0);
    assert.equal(await redis.multi({ pipeline: false }), 'OK');
    assert.equal(await redis.set('d:k', '1'), 'QUEUED');
    assert.deepEqual(await redis.exec(), [[null, 'OK']]);
  });

  await step('WATCH: a concurrent write aborts EXEC; UNWATCH and an untouched key commit', async () => {
    await redis.set('w:k', 'start');
    assert.equal(await redis.watch('w:k'), 'OK');
    await other.set('w:k', 'theirs');
    assert.equal(await redis.multi().set('w:k', 'mine').exec(), null, 'EXEC ran despite the WATCH');
    assert.equal(await redis.get('w:k'), 'theirs');

    await redis.watch('w:k');
    assert.deepEqual(await redis.multi().set('w:k', 'mine').exec(), [[null, 'OK']]);
    assert.equal(await redis.get('w:k'), 'mine');

    await redis.watch('w:k');
    await other.set('w:k', 'theirs again');
    assert.equal(await redis.unwatch(), 'OK');
    assert.deepEqual(await redis.multi().set('w:k', 'mine again').exec(), [[null, 'OK']]);
    assert.equal(await redis.get('w:k'), 'mine again');
  });

  await step('hashes', async () => {
    assert.equal(await redis.hset('h:u1', { name: 'alice', role: 'admin' }), 2);
    assert.equal(await redis.hset('h:u1', 'role', 'user', 'logins', '1'), 1);
    assert.equal(await redis.hget('h:u1', 'name'), 'alice');
    assert.equal(await redis.hget('h:u1', 'missing'), null);
    assert.deepEqual(await redis.hmget('h:u1', 'name', 'role', 'missing'), ['alice', 'user', null]);
    assert.deepEqual(await redis.hgetall('h:u1'), { name: 'alice', role: 'user', logins: '1' });
    assert.equal(await redis.hincrby('h:u1', 'logins', 4), 5);
    assert.equal(await redis.hexists('h:u1', 'role'), 1);
    assert.equal(await redis.hsetnx('h:u1', 'role', 'root'), 0);
    assert.equal(await redis.hlen('h:u1'), 3);
    assert.deepEqual((await redis.hkeys('h:u1')).sort(), ['logins', 'name', 'role']);
    assert.deepEqual((await redis.hvals('h:u1')).sort(), ['5', 'alice', 'user']);
    assert.equal(await redis.hdel('h:u1', 'role', 'missing'), 1);
    assert.equal(await redis.type('h:u1'), 'hash');
    assert.deepEqual(await redis.hgetall('h:none'), {});
    assert.equal(await redis.expire('h:u1', 60), 1);
    assert.ok((await redis.ttl('h:u1')) > 0);
  });

  await step('sets', async () => {
    assert.equal(await redis.sadd('set:a', 'x', 'y', 'z'), 3);
    assert.equal(await redis.sadd('set:a', 'x', 'w'), 1);
    assert.equal(await redis.sismember('set:a', 'y'), 1);
    assert.equal(await redis.sismember('set:a', 'nope'), 0);
    assert.equal(await redis.scard('set:a'), 4);
    assert.deepEqual((await redis.smembers('set:a')).sort(), ['w', 'x', 'y', 'z']);
    assert.equal(await redis.srem('set:a', 'x', 'nope'), 1);
    assert.equal(await redis.type('set:a'), 'set');
    assert.deepEqual(await redis.smembers('set:none'), []);
  });

  await step('scanStream: SCAN MATCH COUNT over 270 keys', async () => {
    const pipe = redis.pipeline();
    for (let i = 0; i < 250; i += 1) pipe.set(`scan:${i}`, String(i));
    for (let i = 0; i < 20; i += 1) pipe.set(`other:${i}`, String(i));
    assert.ok((await pipe.exec()).every(([err]) => err === null), 'pipeline of SETs had errors');
    const batches = await collect(redis.scanStream({ match: 'scan:*', count: 50 }));
    const keys = new Set(batches.flat());
    assert.equal(keys.size, 250, `SCAN MATCH found ${keys.size} keys`);
    for (let i = 0; i < 250; i += 1) assert.ok(keys.has(`scan:${i}`), `SCAN missed scan:${i}`);
  });

  await step('hscanStream: HSCAN MATCH COUNT over 600 fields', async () => {
    const fields = {};
    for (let i = 0; i < 600; i += 1) fields[`f${i}`] = `v${i}`;   // above Redis' listpack limit
    assert.equal(await redis.hset('scan-hash', fields), 600);
    const batches = await collect(redis.hscanStream('scan-hash', { match: 'f1*', count: 50 }));
    const found = new Map();
    for (const batch of batches) {
      for (let i = 0; i < batch.length; i += 2) found.set(batch[i], batch[i + 1]);
    }
    const expected = Object.keys(fields).filter((f) => f.startsWith('f1'));
    assert.equal(found.size, expected.length, `HSCAN MATCH found ${found.size} fields`);
    for (const f of expected) assert.equal(found.get(f), fields[f]);
  });

  await step('sscanStream: SSCAN COUNT over 300 members', async () => {
    assert.equal(await redis.sadd('scan-set', ...Array.from({ length: 300 }, (_, i) => `m${i}`)), 300);
    const batches = await collect(redis.sscanStream('scan-set', { count: 50 }));
    const members = new Set(batches.flat());
    assert.equal(members.size, 300, `SSCAN found ${members.size} members`);
  });

  const sub = redis.duplicate({ connectionName: `${NAME}-sub` });
  sub.on('error', () => {});
  const messages = [];
  sub.on('message', (channel, message) => messages.push(['message', channel, message]));
  sub.on('pmessage', (pattern, channel, message) => messages.push(['pmessage', pattern, channel, message]));

  await step('pub/sub: subscribe, psubscribe, messages, unsubscribe', async () => {
    assert.equal(await sub.subscribe('news', 'alerts'), 2);
    assert.equal(await sub.psubscribe('user.*'), 3);
    assert.equal(await redis.publish('news', 'hello'), 1);
    assert.equal(await redis.publish('user.42', 'login'), 1);
    assert.equal(await redis.publish('alerts', 'fire'), 1);
    assert.equal(await redis.publish('nobody', 'x'), 0);
    await waitFor('3 messages', () => messages.length >= 3);
    assert.deepEqual(messages.splice(0), [
      ['message', 'news', 'hello'],
      ['pmessage', 'user.*', 'user.42', 'login'],
      ['message', 'alerts', 'fire'],
    ]);
    assert.equal(await sub.unsubscribe('news'), 2);
    assert.equal(await redis.publish('news', 'unheard'), 0);
    assert.equal(await sub.punsubscribe('user.*'), 1);
    assert.equal(await redis.publish('user.1', 'unheard'), 0);
    assert.equal(await redis.publish('alerts', 'still'), 1);
    await waitFor('the alerts message', () => messages.length >= 1);
    assert.deepEqual(messages.splice(0), [['message', 'alerts', 'still']]);
  });

  if (CONTROL) {
    await step('reconnect after the server restarts (offline queue, db and name restored)', async () => {
      await redis.set('persist:k', 'before restart');
      await control('stop');
      await waitFor('ioredis to notice the server is gone', () => redis.status !== 'ready');
      const queued = redis.get('persist:k');          // held in the offline queue
      await control('start');
      assert.equal(await queued, 'before restart');
      await waitFor('ready', () => redis.status === 'ready');
      assert.equal(await redis.client('GETNAME'), NAME, 'connection name not restored');
      const results = await redis.pipeline().get('persist:k').ping().exec();
      assert.deepEqual(results, [[null, 'before restart'], [null, 'PONG']]);
      assert.equal(await other.get('persist:k'), 'before restart');
    });

    await step('MULTI/EXEC after the restart', async () => {
      assert.deepEqual(await redis.multi().incr('persist:n').incr('persist:n').exec(), [[null, 1], [null, 2]]);
    });

    await step('the subscriber resubscribes after the restart', async () => {
      await waitFor('the subscriber to resubscribe', async () => (await redis.publish('alerts', 'back')) >= 1);
      await waitFor('the message after the restart', () => messages.length >= 1);
      assert.deepEqual(messages.splice(0), [['message', 'alerts', 'back']]);
    });
  } else {
    console.log('  skip reconnect after the server restarts (LK_CONTROL not set)');
  }

  await step('clean up', async () => {
    await redis.flushdb();
    await sub.quit();
    await other.quit();
    assert.equal(await redis.quit(), 'OK');
  });
});
