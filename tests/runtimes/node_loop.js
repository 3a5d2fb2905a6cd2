// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
//
// A Node.js server on the targets/ line protocol whose event loop does
// each request's work itself, for the real-loop suite (test_loops.sh,
// issue 25). Each request burns cpu_us of CPU on the loop, then waits
// wait_us in one of three ways (--mode):
//
//   await    the backend call over a net connection of the loop's own: the
//            loop goes back to epoll_wait meanwhile (a healthy loop; under
//            a closed loop it is the bottleneck, on a CPU all the time);
//   atomics  Atomics.wait on a SharedArrayBuffer for wait_us: a timed
//            futex wait on the loop's thread, every connection waits;
//   fifo     fs.readFileSync of a FIFO that a helper (a worker thread)
//            writes wait_us after the loop opened it: the loop sleeps in
//            read(2) on the FIFO meanwhile.
//
// Usage: node node_loop.js --mode M [--port P] [--backend-port P] [--seconds S]
//        [--fifo PATH]   (fifo: the FIFO to make and use)
// Prints "node_loop pid=PID port=PORT" first; exits after S seconds.
'use strict';
const fs = require('fs');
const net = require('net');
const { execFileSync } = require('child_process');
const { Worker } = require('worker_threads');

const opt = { mode: 'await', port: 0, backendPort: 0, seconds: 30, fifo: null };
const usage = () => {
	console.error('usage: node_loop.js --mode await|atomics|fifo [--port P] [--backend-port P] [--seconds S] [--fifo PATH]');
	process.exit(2);
};
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--mode') opt.mode = process.argv[++i];
	else if (a === '--port') opt.port = +process.argv[++i];
	else if (a === '--backend-port') opt.backendPort = +process.argv[++i];
	else if (a === '--seconds') opt.seconds = +process.argv[++i];
	else if (a === '--fifo') opt.fifo = process.argv[++i];
	else usage();
}
if (!['await', 'atomics', 'fifo'].includes(opt.mode) || (opt.mode === 'fifo' && !opt.fifo)) usage();

// Burns cpu_us of this process's CPU time (the loop is its only busy
// thread): CPU time, not wall time, so that being preempted does not count.
function burn(us) {
	const end = process.cpuUsage().user + process.cpuUsage().system + us;
	let x = 0;
	for (;;) {
		for (let k = 0; k < 2000; k++) x += k;
		const c = process.cpuUsage();
		if (c.user + c.system >= end) return x;
	}
}

// Shared words: [0] never changes (Atomics.wait's value), [1] the FIFO
// helper's delay in microseconds, [2] how many FIFO reads were asked for.
const shared = new Int32Array(new SharedArrayBuffer(12));

// The backend, over one connection per request in flight (a free list).
const idle = [];
function backendCall(us, done) {
	let b = idle.pop();
	if (!b) {
		b = net.connect(opt.backendPort, '127.0.0.1');
		b.setNoDelay(true);
		b.buf = '';
		b.on('data', (d) => {
			b.buf += d;
			const i = b.buf.indexOf('\n');
			if (i >= 0) {
				b.buf = b.buf.slice(i + 1);
				const cb = b.cb;
				b.cb = null;
				idle.push(b);
				cb();
			}
		});
		b.on('error', () => b.cb && b.cb());
	}
	b.cb = done;
	b.write('WAIT ' + us + '\n');
}

function request(cpuUs, waitUs, done) {
	burn(cpuUs);
	if (waitUs <= 0) return done();
	if (opt.mode === 'await') return backendCall(waitUs, done);
	if (opt.mode === 'atomics') {
		Atomics.wait(shared, 0, 0, waitUs / 1000);
		return done();
	}
	Atomics.store(shared, 1, waitUs);
	Atomics.add(shared, 2, 1);
	Atomics.notify(shared, 2);
	fs.readFileSync(opt.fifo);
	done();
}

function serve(c) {
	c.setNoDelay(true);
	let buf = '';
	let queue = [];
	let busy = false;
	const next = () => {
		if (busy || queue.length === 0) return;
		busy = true;
		const [cpu, wait] = queue.shift();
		request(cpu, wait, () => {
			c.write('OK\n');
			busy = false;
			next();
		});
	};
	c.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const f = buf.slice(0, i).trim().split(/\s+/);
			buf = buf.slice(i + 1);
			if (f.length !== 3 || f[0] !== 'REQ') { c.destroy(); queue = []; return; }
			queue.push([+f[1], +f[2]]);
		}
		next();
	});
	c.on('error', () => {});
}

if (opt.mode === 'fifo') {
	try { fs.unlinkSync(opt.fifo); } catch (e) { /* not there yet */ }
	execFileSync('mkfifo', [opt.fifo]);
	// The helper: once asked (shared[2] grew), opens the FIFO for writing
	// (the loop opens it for reading), sleeps the request's wait, writes a
	// line and closes: the loop's read gets the line, then end of file.
	// One open per request, or the loop's read would not see the end.
	const w = new Worker(`
		const fs = require('fs');
		const { workerData } = require('worker_threads');
		const shared = workerData.shared;
		for (let seen = 0;;) {
			Atomics.wait(shared, 2, seen);
			seen = Atomics.load(shared, 2);
			const fd = fs.openSync(workerData.fifo, 'w');
			Atomics.wait(shared, 0, 0, Atomics.load(shared, 1) / 1000);
			fs.writeSync(fd, 'x\\n');
			fs.closeSync(fd);
		}`, { eval: true, workerData: { shared, fifo: opt.fifo } });
	w.unref();
}

const srv = net.createServer(serve);
srv.listen(opt.port, '127.0.0.1', () => {
	console.log('node_loop pid=' + process.pid + ' port=' + srv.address().port);
});
setTimeout(() => {
	if (opt.fifo) try { fs.unlinkSync(opt.fifo); } catch (e) { /* gone */ }
	process.exit(0);
}, opt.seconds * 1000).unref();
// The timer above is unref'd: the listening socket keeps the loop alive.
