'use strict';
// Shared helpers for the Node client flows: server address from the environment, named checks
// that fail loudly, and the restart hook of run_clients.py.
//
// Environment: LK_HOST (default 127.0.0.1), LK_PORT (default 6379). LK_CONTROL=stdio means the
// script runs under run_clients.py, which restarts the server on request: the script prints
// "@@LK stop" or "@@LK start" on stdout and reads one line ("ok" or "error ...") from stdin.
// Without LK_CONTROL the reconnect checks are skipped.

const assert = require('node:assert/strict');
const readline = require('node:readline');

const HOST = process.env.LK_HOST || '127.0.0.1';
const PORT = Number(process.env.LK_PORT || 6379);
const CONTROL = process.env.LK_CONTROL === 'stdio';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const STEP_TIMEOUT_MS = 20000;
let currentStep = '(setup)';
let passedSteps = 0;
const failedSteps = [];

// What a failure says: the message, and for a reply error the command that got it.
function describe(err) {
  if (!err) return String(err);
  let text = err.message || String(err);
  if (err.command) text += ` [command: ${err.command.name} ${JSON.stringify(err.command.args)}]`;
  if (err.previousErrors) text += ` [queued errors: ${err.previousErrors.map((e) => e.message).join('; ')}]`;
  if (err.replies) text += ` [replies: ${JSON.stringify(err.replies.map((r) => (r instanceof Error ? `ERR ${r.message}` : r)))}]`;
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

// Runs one named check. A failure (or a check still running after STEP_TIMEOUT_MS) is reported
// and the script goes on with the next check, so one run lists everything that fails; main()
// then exits 1.
async function step(name, fn) {
  currentStep = name;
  const started = Date.now();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  try {
    await Promise.race([fn(), timeout]);
    passedSteps += 1;
    console.log(`  ok  ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failedSteps.push(name);
    console.log(`  FAIL  ${name}: ${describe(err)}`);
    const frame = ((err && err.stack) || '').split('\n').find((l) => l.includes('/tests/clients/node/') && !l.includes('/lib/common.js') && !l.includes('node_modules'));
    if (frame) console.log(`        at ${frame.trim().replace(/^at /, '')}`);
    if (serverStopped) {                    // a failed restart check must not leave it down
      await control('start').catch((e) => console.log(`        could not start the server again: ${e.message}`));
    }
  } finally {
    clearTimeout(timer);
  }
}

// Polls fn until it returns a truthy value; throws with `what` after timeoutMs.
async function waitFor(what, fn, timeoutMs = 5000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// The restart hook: asks run_clients.py to stop or start the server and waits for its answer.
let controlLines = null;
let serverStopped = false;
async function control(action) {
  if (!CONTROL) throw new Error('control requested without LK_CONTROL=stdio');
  if (!controlLines) {
    const rl = readline.createInterface({ input: process.stdin });
    controlLines = rl[Symbol.asyncIterator]();
  }
  process.stdout.write(`@@LK ${action}\n`);
  const { value, done } = await controlLines.next();
  if (done) throw new Error(`runner closed stdin while asked to ${action}`);
  if (value.trim() !== 'ok') throw new Error(`runner could not ${action} the server: ${value}`);
  serverStopped = action === 'stop';
}

// Runs the script's main function and exits 0 when every check passed, 1 otherwise.
function main(title, fn) {
  console.log(`${title}: server ${HOST}:${PORT}`);
  const started = Date.now();
  fn().then(
    () => {
      const ms = Date.now() - started;
      if (failedSteps.length === 0) {
        console.log(`${title}: ${passedSteps} checks passed in ${ms} ms`);
        process.exit(0);
      }
      console.log(`${title}: ${failedSteps.length} of ${passedSteps + failedSteps.length} checks FAILED in ${ms} ms: ${failedSteps.join(' | ')}`);
      process.exit(1);
    },
    (err) => {
      console.log(`${title}: FAILED outside the checks, after step '${currentStep}': ${describe(err)}`);
      console.log(err && err.stack ? err.stack : err);
      process.exit(1);
    },
  );
}

module.exports = { assert, HOST, PORT, CONTROL, sleep, step, waitFor, control, main };
