// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
//
// A Node.js server on the targets/ line protocol, for make test-runtimes.
//
// Node's shape: one event loop thread does all the socket I/O; CPU work
// goes to libuv's thread pool (UV_THREADPOOL_SIZE threads, default 4).
// Each request runs crypto.pbkdf2 (on the libuv pool) for about cpu_us of
// CPU, then sends "WAIT us" to the backend over a net connection of the
// event loop's own and answers "OK" when "DONE" comes back. The pool
// threads never wait for the backend: their designed WT/CT is 0, and the
// wait is the event loop's (idle in epoll_wait while it is out).
//
// Every thread's comm is "node": the event loop, V8's platform workers
// (--v8-pool-size, 4 by default), libuv's pool and a few others.
//
// --roles FILE writes "TID ROLE" lines: the threads that exist before the
// first pool job are "main" (the loop, its TID equals the PID) or "other"
// (V8 platform workers, inspector, signal thread); the ones that appear
// with the first pool jobs are libuv's pool ("pool"). That lets the suite
// check blockscope's grouping without trusting any name.
//
// Usage: node node_pool.js [--port P] [--backend-port P] [--seconds S]
//        [--roles FILE]   (UV_THREADPOOL_SIZE from the environment)
// Prints "node_pool pid=PID port=PORT" first; exits after S seconds.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');

const opt = { port: 0, backendPort: 0, seconds: 30, roles: null };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--port') opt.port = +process.argv[++i];
	else if (a === '--backend-port') opt.backendPort = +process.argv[++i];
	else if (a === '--seconds') opt.seconds = +process.argv[++i];
	else if (a === '--roles') opt.roles = process.argv[++i];
	else { console.error('usage: node_pool.js [--port P] [--backend-port P] [--seconds S] [--roles FILE]'); process.exit(2); }
}
const POOL = +(process.env.UV_THREADPOOL_SIZE || 4);
const tids = () => fs.readdirSync('/proc/self/task').map(Number);

// pbkdf2 iterations per microsecond of CPU, measured on the pool itself.
let iterPerUs = 1;

function pbkdf2(iter) {
	return new Promise((ok, ko) => crypto.pbkdf2('pw', 'salt', Math.max(1, Math.round(iter)), 32, 'sha256',
		(e) => (e ? ko(e) : ok())));
}

// One backend connection per request in flight, reused: a free list.
const idle = [];
function backendCall(us) {
	return new Promise((ok, ko) => {
		let b = idle.pop();
		if (!b) {
			b = net.connect(opt.backendPort, '127.0.0.1');
			b.setNoDelay(true);
			b.buf = '';
			b.on('data', (d) => {
				b.buf += d;
				const i = b.buf.indexOf('\n');
				if (i >= 0) {
					const line = b.buf.slice(0, i);
					b.buf = b.buf.slice(i + 1);
					const cb = b.cb;
					b.cb = null;
					idle.push(b);
					cb(line === 'DONE' ? null : new Error('backend said ' + line));
				}
			});
			b.on('error', (e) => b.cb && b.cb(e));
		}
		b.cb = (e) => (e ? ko(e) : ok());
		b.write('WAIT ' + us + '\n');
	});
}

async function request(cpuUs, waitUs) {
	if (cpuUs > 0) await pbkdf2(cpuUs * iterPerUs);
	if (waitUs > 0) await backendCall(waitUs);
}

function serve(c) {
	c.setNoDelay(true);
	let buf = '';
	let busy = Promise.resolve();
	c.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const f = buf.slice(0, i).trim().split(/\s+/);
			buf = buf.slice(i + 1);
			if (f.length !== 3 || f[0] !== 'REQ') { c.destroy(); return; }
			// Requests of one connection are answered in order.
			busy = busy.then(() => request(+f[1], +f[2])).then(() => c.write('OK\n'), () => c.destroy());
		}
	});
	c.on('error', () => {});
}

async function main() {
	const before = tids();
	// Calibrate on the pool (the first jobs also start libuv's threads):
	// jobs one after another, with the event loop asleep meanwhile, so
	// the process's CPU time (process.cpuUsage) is the jobs' CPU time. CPU
	// time, not wall time: on a busy machine a job waits for a CPU too.
	const iter = 20000;
	await Promise.all(Array.from({ length: POOL }, () => pbkdf2(iter)));
	const c0 = process.cpuUsage();
	for (let k = 0; k < 10; k++) await pbkdf2(iter);
	const c1 = process.cpuUsage(c0);
	iterPerUs = (10 * iter) / Math.max(1, c1.user + c1.system);
	if (opt.roles) {
		const lines = tids().map((t) => t + ' ' + (t === process.pid ? 'main' : before.includes(t) ? 'other' : 'pool'));
		fs.writeFileSync(opt.roles, lines.join('\n') + '\n');
	}
	const srv = net.createServer(serve);
	srv.listen(opt.port, '127.0.0.1', () => {
		console.log('node_pool pid=' + process.pid + ' port=' + srv.address().port);
	});
	// Bounded in time.
	setTimeout(() => process.exit(0), opt.seconds * 1000).unref();
	setInterval(() => {}, 1 << 30).unref();
}
process.on('SIGTERM', () => process.exit(0));
main();
