'use strict';
// The session flow of a typical Node auth server: express + express-session + connect-redis, with
// the store on ioredis or on node-redis (argv[2]: "ioredis" or "node-redis"). A real HTTP client
// logs in, reads the session through the cookie, checks that the rolling touch extends the key's
// TTL, logs out and checks the key is gone; then 200 concurrent sessions.
//
//   LK_HOST=127.0.0.1 LK_PORT=6379 node session_flow.js ioredis

const http = require('node:http');
const { promisify } = require('node:util');
const express = require('express');
const session = require('express-session');
const RedisStore = require('connect-redis').default;
const { assert, HOST, PORT, sleep, step, main } = require('./lib/common');

const LIBRARY = process.argv[2];
const MAX_AGE_MS = 20000;       // cookie maxAge: connect-redis sets the key's TTL from it
const COOKIE = 'lk.sid';
const PREFIX = 'sess:';
const CONCURRENT = 200;

// A thin adapter so the checks read the same for both libraries.
async function connectClient() {
  if (LIBRARY === 'ioredis') {
    const Redis = require('ioredis');
    const client = new Redis({ host: HOST, port: PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', (err) => console.error(`ioredis error event: ${err.message}`));
    await client.connect();
    return {
      client,
      pttl: (key) => client.pttl(key),
      exists: (key) => client.exists(key),
      get: (key) => client.get(key),
      quit: () => client.quit(),
    };
  }
  if (LIBRARY === 'node-redis') {
    const { createClient } = require('redis');
    const client = createClient({ socket: { host: HOST, port: PORT, reconnectStrategy: false } });
    client.on('error', (err) => console.error(`node-redis error event: ${err.message}`));
    await client.connect();
    return {
      client,
      pttl: (key) => client.pTTL(key),
      exists: (key) => client.exists(key),
      get: (key) => client.get(key),
      quit: () => client.quit(),
    };
  }
  throw new Error(`usage: session_flow.js ioredis|node-redis (got ${LIBRARY})`);
}

function buildApp(store) {
  const app = express();
  app.use(session({
    name: COOKIE,
    secret: 'latchkey-client-test-secret',
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { maxAge: MAX_AGE_MS, httpOnly: true, sameSite: 'lax' },
  }));
  app.post('/login', (req, res, next) => {
    // regenerate() as a real login does (session fixation): destroy the old id, issue a new one.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = String(req.query.user);
      req.session.visits = 0;
      res.json({ user: req.session.user });
    });
  });
  app.get('/me', (req, res) => {          // reads only: the store gets a touch (EXPIRE)
    if (!req.session.user) return res.status(401).json({ error: 'not logged in' });
    res.json({ user: req.session.user, visits: req.session.visits });
  });
  app.post('/visit', (req, res) => {      // modifies the session: the store gets a SET
    if (!req.session.user) return res.status(401).json({ error: 'not logged in' });
    req.session.visits += 1;
    res.json({ visits: req.session.visits });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(COOKIE);
      res.json({ ok: true });
    });
  });
  app.use((err, req, res, next) => {      // eslint-disable-line no-unused-vars
    res.status(500).json({ error: String(err && err.message ? err.message : err) });
  });
  return app;
}

// One HTTP request; resolves with status, the session cookie it set (if any) and the JSON body.
function request(port, method, path, cookie) {
  return new Promise((resolve, reject) => {
    const headers = cookie ? { Cookie: cookie } : {};
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => {
        const setCookie = (res.headers['set-cookie'] || []).find((c) => c.startsWith(`${COOKIE}=`));
        let json = null;
        try { json = JSON.parse(body); } catch (e) { json = { raw: body }; }
        resolve({ status: res.statusCode, setCookie, cookie: setCookie && setCookie.split(';')[0], json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// "lk.sid=s%3A<sid>.<signature>" -> "<sid>"
function sidOf(cookie) {
  const value = decodeURIComponent(cookie.slice(COOKIE.length + 1));
  assert.ok(value.startsWith('s:'), `unexpected cookie value ${value}`);
  return value.slice(2, value.lastIndexOf('.'));
}

async function expectStatus(resPromise, status, what) {
  const res = await resPromise;
  assert.equal(res.status, status, `${what}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return res;
}

main(`session flow (connect-redis on ${LIBRARY})`, async () => {
  const redis = await connectClient();
  const store = new RedisStore({ client: redis.client, prefix: PREFIX });
  const storeLength = promisify(store.length.bind(store));
  const storeIds = promisify(store.ids.bind(store));
  const storeAll = promisify(store.all.bind(store));
  const storeClear = promisify(store.clear.bind(store));
  const storeGet = promisify(store.get.bind(store));

  const server = http.createServer(buildApp(store));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  await step('store starts empty (clear + length)', async () => {
    await storeClear();
    assert.equal(await storeLength(), 0);
  });

  let cookie;
  let key;
  await step('login sets a cookie and writes sess:<id> with the cookie maxAge as TTL', async () => {
    const res = await expectStatus(request(port, 'POST', '/login?user=alice'), 200, 'login');
    assert.ok(res.cookie, 'login response has no session cookie');
    cookie = res.cookie;
    key = PREFIX + sidOf(cookie);
    assert.equal(await redis.exists(key), 1, `${key} does not exist after login`);
    const stored = JSON.parse(await redis.get(key));
    assert.equal(stored.user, 'alice');
    const pttl = await redis.pttl(key);
    assert.ok(pttl > MAX_AGE_MS - 3000 && pttl <= MAX_AGE_MS, `PTTL ${key} = ${pttl}`);
  });

  await step('the cookie reads the session back', async () => {
    const res = await expectStatus(request(port, 'GET', '/me', cookie), 200, 'GET /me');
    assert.deepEqual(res.json, { user: 'alice', visits: 0 });
    const anonymous = await request(port, 'GET', '/me');
    assert.equal(anonymous.status, 401, 'a request without the cookie sees a session');
  });

  await step('rolling touch extends the TTL', async () => {
    const before = await redis.pttl(key);
    await sleep(700);
    const aged = await redis.pttl(key);
    assert.ok(aged < before - 400, `PTTL did not count down: ${before} -> ${aged}`);
    const res = await expectStatus(request(port, 'GET', '/me', cookie), 200, 'GET /me (touch)');
    assert.ok(res.setCookie, 'rolling session did not re-send the cookie');
    const touched = await redis.pttl(key);
    assert.ok(touched > aged + 400, `touch did not extend the TTL: ${aged} -> ${touched}`);
    assert.ok(touched <= MAX_AGE_MS, `TTL beyond maxAge: ${touched}`);
  });

  await step('a modified session is saved and keeps its TTL', async () => {
    await expectStatus(request(port, 'POST', '/visit', cookie), 200, 'POST /visit');
    const res = await expectStatus(request(port, 'POST', '/visit', cookie), 200, 'POST /visit');
    assert.equal(res.json.visits, 2);
    assert.equal(JSON.parse(await redis.get(key)).visits, 2);
    assert.equal((await storeGet(sidOf(cookie))).visits, 2);
    const pttl = await redis.pttl(key);
    assert.ok(pttl > MAX_AGE_MS - 3000 && pttl <= MAX_AGE_MS, `PTTL after save = ${pttl}`);
  });

  await step('logout destroys the session', async () => {
    await expectStatus(request(port, 'POST', '/logout', cookie), 200, 'logout');
    assert.equal(await redis.exists(key), 0, `${key} still exists after logout`);
    assert.equal(await redis.pttl(key), -2);
    await expectStatus(request(port, 'GET', '/me', cookie), 401, 'GET /me after logout');
  });

  let sessions;
  await step(`${CONCURRENT} concurrent logins give distinct sessions`, async () => {
    const users = Array.from({ length: CONCURRENT }, (_, i) => `user${i}`);
    const logins = await Promise.all(users.map((u) => request(port, 'POST', `/login?user=${u}`)));
    sessions = logins.map((res, i) => {
      assert.equal(res.status, 200, `login ${users[i]}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
      assert.ok(res.cookie, `login ${users[i]}: no cookie`);
      return { user: users[i], cookie: res.cookie, sid: sidOf(res.cookie) };
    });
    assert.equal(new Set(sessions.map((s) => s.sid)).size, CONCURRENT, 'session ids are not distinct');
    assert.equal(await storeLength(), CONCURRENT);
    assert.deepEqual(new Set(await storeIds()), new Set(sessions.map((s) => s.sid)));
    const all = await storeAll();
    assert.equal(all.length, CONCURRENT);
    assert.deepEqual(new Set(all.map((s) => s.user)), new Set(users));
  });

  await step(`${CONCURRENT} concurrent reads through the cookies`, async () => {
    const reads = await Promise.all(sessions.map((s) => request(port, 'GET', '/me', s.cookie)));
    reads.forEach((res, i) => {
      assert.equal(res.status, 200, `read ${sessions[i].user}: HTTP ${res.status}`);
      assert.equal(res.json.user, sessions[i].user);
    });
  });

  await step(`${CONCURRENT} concurrent logouts destroy every session`, async () => {
    const half = sessions.slice(0, CONCURRENT / 2);
    const rest = sessions.slice(CONCURRENT / 2);
    const outs = await Promise.all(half.map((s) => request(port, 'POST', '/logout', s.cookie)));
    outs.forEach((res, i) => assert.equal(res.status, 200, `logout ${half[i].user}: HTTP ${res.status}`));
    assert.equal(await storeLength(), CONCURRENT / 2);
    const gone = await Promise.all(half.map((s) => request(port, 'GET', '/me', s.cookie)));
    gone.forEach((res, i) => assert.equal(res.status, 401, `${half[i].user} still logged in`));
    const outs2 = await Promise.all(rest.map((s) => request(port, 'POST', '/logout', s.cookie)));
    outs2.forEach((res, i) => assert.equal(res.status, 200, `logout ${rest[i].user}: HTTP ${res.status}`));
    assert.equal(await storeLength(), 0);
    const left = await Promise.all(sessions.map((s) => redis.exists(PREFIX + s.sid)));
    assert.equal(left.reduce((a, b) => a + b, 0), 0, 'session keys left after logout');
  });

  await step('store.clear removes sessions in bulk', async () => {
    const logins = await Promise.all([1, 2, 3].map((i) => request(port, 'POST', `/login?user=bulk${i}`)));
    logins.forEach((res) => assert.equal(res.status, 200));
    assert.equal(await storeLength(), 3);
    await storeClear();
    assert.equal(await storeLength(), 0);
  });

  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await redis.quit();
});
