// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
//
// A JVM server on the targets/ line protocol, for make test-runtimes: the
// commonest Java shape, a fixed ThreadPoolExecutor behind thread-per-
// connection readers.
//
//   main thread   accepts connections, starts a reader per connection
//   conn-N        reads "REQ cpu wait", submits a task to the pool, waits
//                 for its Future, writes "OK"
//   pool-1-thread-N   Executors.newFixedThreadPool(THREADS), default names:
//                 burns cpu_us of thread CPU time, then "WAIT us" to the
//                 backend over its own connection and reads "DONE"
//
// --sync makes every task burn its CPU inside one global synchronized
// block: true contention, which blockscope must still warn about.
//
// Usage: java -cp DIR PoolServer [--port P] [--backend-port P]
//        [--threads N] [--seconds S] [--sync]
// Prints "jvm_pool pid=PID port=PORT" first; exits by itself after S
// seconds (default 30).
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class PoolServer {
	private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
	private static final Object LOCK = new Object();
	private static int backendPort;
	private static boolean sync;
	private static volatile long sink;

	// One backend connection per pool thread, opened on its first task.
	private static final ThreadLocal<Backend> BACKEND = ThreadLocal.withInitial(() -> {
		try {
			return new Backend(backendPort);
		} catch (IOException e) {
			throw new RuntimeException(e);
		}
	});

	static final class Backend {
		final Socket s;
		final BufferedReader in;
		final OutputStream out;

		Backend(int port) throws IOException {
			s = new Socket(InetAddress.getLoopbackAddress(), port);
			s.setTcpNoDelay(true);
			in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
			out = s.getOutputStream();
		}

		void call(long us) throws IOException {
			out.write(("WAIT " + us + "\n").getBytes(StandardCharsets.US_ASCII));
			out.flush();
			String l = in.readLine();
			if (l == null || !l.equals("DONE"))
				throw new IOException("backend said " + l);
		}
	}

	// Burns us microseconds of this thread's CPU time (preemption does not
	// count). Each clock read is a system call, so each round spins for
	// half the time left at the rate seen so far, as targets/common.c does.
	static void burn(long us) {
		long start = MX.getCurrentThreadCpuTime(), end = start + us * 1000, now = start;
		long done = 0, n = 64, x = 88172645463325252L;
		while (now < end) {
			for (long i = 0; i < n; i++) {
				x ^= x << 13;
				x ^= x >>> 7;
				x ^= x << 17;
			}
			done += n;
			now = MX.getCurrentThreadCpuTime();
			n = now > start ? (long) ((double) (end - now) / 2 * done / (now - start)) + 1 : n * 2;
		}
		sink = x;
	}

	static void task(long cpuUs, long waitUs) throws IOException {
		if (sync) {
			synchronized (LOCK) {
				burn(cpuUs);
			}
		} else {
			burn(cpuUs);
		}
		if (waitUs > 0)
			BACKEND.get().call(waitUs);
	}

	static void serve(Socket c, ExecutorService pool) {
		try (c) {
			c.setTcpNoDelay(true);
			BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
			OutputStream out = c.getOutputStream();
			String l;
			while ((l = in.readLine()) != null) {
				String[] f = l.trim().split("\\s+");
				if (f.length != 3 || !f[0].equals("REQ"))
					break;
				long cpu = Long.parseLong(f[1]), wait = Long.parseLong(f[2]);
				Future<?> done = pool.submit(() -> {
					task(cpu, wait);
					return null;
				});
				done.get();
				out.write("OK\n".getBytes(StandardCharsets.US_ASCII));
				out.flush();
			}
		} catch (Exception e) {
			// The client went away, or the run is over: drop the connection.
		}
	}

	public static void main(String[] args) throws Exception {
		int port = 0, threads = 4;
		double seconds = 30;
		for (int i = 0; i < args.length; i++) {
			switch (args[i]) {
			case "--port": port = Integer.parseInt(args[++i]); break;
			case "--backend-port": backendPort = Integer.parseInt(args[++i]); break;
			case "--threads": threads = Integer.parseInt(args[++i]); break;
			case "--seconds": seconds = Double.parseDouble(args[++i]); break;
			case "--sync": sync = true; break;
			default:
				System.err.println("usage: PoolServer [--port P] [--backend-port P] [--threads N] [--seconds S] [--sync]");
				System.exit(2);
			}
		}
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		ServerSocket ss = new ServerSocket(port, 128, InetAddress.getLoopbackAddress());
		System.out.println((sync ? "jvm_sync" : "jvm_pool") + " pid=" + ProcessHandle.current().pid()
				   + " port=" + ss.getLocalPort());
		System.out.flush();

		// Bounded in time: the accept loop wakes at least once a second
		// (accept with a timeout: a poll, then accept) and ends the whole
		// JVM after --seconds. No extra thread for it.
		long deadline = System.nanoTime() + (long) (seconds * 1e9);
		ss.setSoTimeout(1000);
		for (int n = 0; System.nanoTime() < deadline;) {
			Socket c;
			try {
				c = ss.accept();
			} catch (java.net.SocketTimeoutException e) {
				continue;
			}
			Thread t = new Thread(() -> serve(c, pool), "conn-" + n++);
			t.setDaemon(true);
			t.start();
		}
		System.exit(0);
	}
}
