// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
//
// A Tomcat 10 servlet for make test-runtimes: GET /work?cpu=US&wait=US
// burns cpu microseconds of thread CPU time, then sends "WAIT us" to the
// backend of the targets/ line protocol (port: system property
// blockscope.backend.port) and reads "DONE", then answers "OK".
//
// It runs on Tomcat's own request threads ("http-nio-PORT-exec-N", at
// most maxThreads of the connector): the pool a Tomcat user sizes. Each
// request thread keeps one backend connection of its own (a ThreadLocal),
// as a JDBC pool per thread would.
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class WorkServlet extends HttpServlet {
	private static final long serialVersionUID = 1L;
	private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
	private static final int BACKEND_PORT = Integer.getInteger("blockscope.backend.port", 0);
	private static volatile long sink;

	private static final class Backend {
		final Socket s;
		final BufferedReader in;
		final OutputStream out;

		Backend() throws IOException {
			s = new Socket(InetAddress.getLoopbackAddress(), BACKEND_PORT);
			s.setTcpNoDelay(true);
			in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
			out = s.getOutputStream();
		}
	}

	private static final ThreadLocal<Backend> BACKEND = new ThreadLocal<>();

	// As PoolServer.burn: thread CPU time, rounds of half the time left.
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

	private static long param(HttpServletRequest req, String name) {
		String v = req.getParameter(name);
		return v == null ? 0 : Long.parseLong(v);
	}

	@Override
	protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
		long cpu = param(req, "cpu"), wait = param(req, "wait");
		burn(cpu);
		if (wait > 0) {
			Backend b = BACKEND.get();
			if (b == null)
				BACKEND.set(b = new Backend());
			b.out.write(("WAIT " + wait + "\n").getBytes(StandardCharsets.US_ASCII));
			b.out.flush();
			String l = b.in.readLine();
			if (l == null || !l.equals("DONE")) {
				BACKEND.remove();
				b.s.close();
				resp.sendError(502);
				return;
			}
		}
		resp.setContentType("text/plain");
		resp.getWriter().write("OK\n");
	}
}
