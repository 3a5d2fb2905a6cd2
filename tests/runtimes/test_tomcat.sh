#!/usr/bin/env bash
# Tomcat 10 (Debian's tomcat10, started by hand: no systemd here) with its
# own CATALINA_BASE in the suite's temporary directory and one servlet,
# tests/runtimes/WorkServlet.java (compiled here against Debian's
# servlet-api.jar): GET /work?cpu=US&wait=US does the CPU and the backend
# call on Tomcat's request thread. Driven over HTTP by wrk, light (think
# time) and heavy (closed loop).
#
# The request threads are the pool a Tomcat user sizes (maxThreads,
# POOL_THREADS here): designed WT/CT = 3. They are named
# "http-nio-PORT-exec-N", as Tomcat names a connector's own pool; they
# come from an <Executor> with that name prefix because the connector
# listens on 127.0.0.1 only, and with an address Tomcat puts it into the
# names ("http-nio-127.0.0.1-PORT-exec-N"), which the kernel's 15
# characters cut to "http-nio-127.0." for every connector thread alike.
# A port of 4 digits keeps "-e" of "-exec-" inside the 15 characters.
#
# A second connector (TPORT2), also on 127.0.0.1, keeps its own pool
# (issue 27, item 3): its Acceptor, its Poller and its exec threads are all
# "http-nio-127.0.". Its phase, tomcat_cut, checks that blockscope tells
# them apart by what they do (the Acceptor waits in accept, the Poller in
# epoll): the exec threads one pool sized by the formula, the Acceptors
# and Pollers runtime threads, not sized. Which thread is which comes from
# the JVM itself (jcmd Thread.print: each thread's full name and nid).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

H=/usr/share/tomcat10
CLASSES=$RT_OUT/tomcat
mkdir -p "$CLASSES"
check tomcat-javac "javac failed: $(cat "$TMP/javac.log" 2>/dev/null)" -- \
	bash -c "javac -Xlint:all -Werror -cp '$H/lib/servlet-api.jar' -d '$CLASSES' \
		'$ROOT/tests/runtimes/WorkServlet.java' >'$TMP/javac.log' 2>&1" || { finish; exit; }
start_backend || { finish; exit; }

# Free ports of 4 digits.
for _ in $(seq 100); do
	TPORT=$((2000 + RANDOM % 8000))
	port_free "$TPORT" && [ -z "$(ss -Htan "sport = :$TPORT")" ] && break
done
for _ in $(seq 100); do
	TPORT2=$((2000 + RANDOM % 8000))
	[ "$TPORT2" != "$TPORT" ] && port_free "$TPORT2" && [ -z "$(ss -Htan "sport = :$TPORT2")" ] && break
done
B=$TMP/catalina
mkdir -p "$B/conf" "$B/logs" "$B/temp" "$B/work" "$B/webapps/ROOT/WEB-INF/classes"
cp /etc/tomcat10/web.xml /etc/tomcat10/catalina.properties /etc/tomcat10/logging.properties "$B/conf/"
cp "$CLASSES"/*.class "$B/webapps/ROOT/WEB-INF/classes/"
cat >"$B/conf/server.xml" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Executor name="exec" namePrefix="http-nio-$TPORT-exec-" maxThreads="$POOL_THREADS" minSpareThreads="$POOL_THREADS"/>
    <Connector executor="exec" port="$TPORT" address="127.0.0.1" protocol="HTTP/1.1"
               connectionTimeout="20000" maxKeepAliveRequests="-1"/>
    <Connector port="$TPORT2" address="127.0.0.1" protocol="HTTP/1.1" maxThreads="$POOL_THREADS"
               minSpareThreads="$POOL_THREADS" connectionTimeout="20000" maxKeepAliveRequests="-1"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
EOX
cat >"$B/webapps/ROOT/WEB-INF/web.xml" <<'EOX'
<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
  <servlet><servlet-name>work</servlet-name><servlet-class>WorkServlet</servlet-class></servlet>
  <servlet-mapping><servlet-name>work</servlet-name><url-pattern>/work</url-pattern></servlet-mapping>
</web-app>
EOX
# The JVM's PID and the port first, as every workload here prints them.
start_workload tomcat 90 bash -c 'echo "tomcat pid=$$ port=$0"; exec "$@"' "$TPORT" \
	java -Dblockscope.backend.port="$BACKEND_PORT" -Dcatalina.home="$H" -Dcatalina.base="$B" \
	-Djava.io.tmpdir="$B/temp" -Djava.util.logging.config.file="$B/conf/logging.properties" \
	-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager \
	-cp "$H/bin/bootstrap.jar:$H/bin/tomcat-juli.jar" org.apache.catalina.startup.Bootstrap start ||
	{ tail -n 5 "$B/logs/"* 2>/dev/null; finish; exit; }
check tomcat-serves "GET /work: $(curl -s -m 5 "http://127.0.0.1:$TPORT/work?cpu=10&wait=10" 2>&1 | head -c 200)" -- \
	bash -c "curl -s -m 5 'http://127.0.0.1:$TPORT/work?cpu=10&wait=10' | grep -q OK" || { finish; exit; }

JVM_SERVICE='^(C[12] CompilerThre|GC Thread#|G1 |VM Periodic Tas|VM Thread|Reference Handl|Finalizer|Signal Dispatch|Service Thread|Monitor Deflati|Common-Cleaner|Notification Th|Sweeper thread|Attach Listener)'
for phase in light heavy; do
	name=tomcat_$phase
	http_load "$phase" "$TPORT" "/work?cpu=$CPU_US&wait=$WAIT_US" 7
	sleep 2
	trace_phase "$name" "$WPID" || { finish; exit; }
	load_ok "$name"
	sizing_lines "$name" "$J"
	check_no_contention "$name" "$J"
	check_pool "$name" "$J" "$(comm_tids "$J" "^http-nio-$TPORT-e")" "$WAIT_US" "http-nio-$TPORT-e"
	check_occupancy "$name" "$J" "$phase" "$(comm_tids "$J" "^http-nio-$TPORT-e")"
	check_not_sized "$name-service-threads" "$J" "$(comm_tids "$J" "$JVM_SERVICE")" "the JVM's service threads"
done

# jvm_tids REGEX: the TIDs of the JVM's threads whose full name matches
# REGEX (jcmd Thread.print: "NAME" ... nid=0xTID), as a JSON array.
jvm_tids() {
	sed -n 's/^"\([^"]*\)".* nid=\(0x[0-9a-f]*\).*/\1 \2/p' "$RT_OUT/tomcat_cut.threads" |
		awk -v re="$1" '$1 ~ re { printf "%d\n", $2 }' | jq -s -c '.'
}
name=tomcat_cut
http_load heavy "$TPORT2" "/work?cpu=$CPU_US&wait=$WAIT_US" 7
sleep 2
trace_phase "$name" "$WPID" || { finish; exit; }
load_ok "$name"
bounded 30 jcmd "$WPID" Thread.print >"$RT_OUT/$name.threads" 2>&1
sizing_lines "$name" "$J"
EXEC2=$(jvm_tids "^http-nio-127[.]0[.]0[.]1-$TPORT2-exec-")
ACCEPTORS=$(jvm_tids "^http-nio-127[.]0[.]0[.]1-[0-9]+-Acceptor")
POLLERS=$(jvm_tids "^http-nio-127[.]0[.]0[.]1-[0-9]+-Poller")
echo "NOTE $name: by jcmd, exec $EXEC2, Acceptors $ACCEPTORS, Pollers $POLLERS"
check "$name-jcmd" "jcmd Thread.print: $(head -c 300 "$RT_OUT/$name.threads")" -- \
	test "$(jq length <<<"$EXEC2")" -eq "$POOL_THREADS" -a "$(jq length <<<"$ACCEPTORS")" -eq 2 \
	-a "$(jq length <<<"$POLLERS")" -eq 2
check_pool "$name" "$J" "$EXEC2" "$WAIT_US"
check_not_sized "$name-connector-threads" "$J" "$(jq -c -s add <<<"$ACCEPTORS $POLLERS")" "the connectors' Acceptors and Pollers"
jq_true "$name-acceptor-poller-named" "$J" \
	"Acceptors in $(jq_rt 'groups_of($a)' "$J" --argjson a "$ACCEPTORS"), Pollers in $(jq_rt 'groups_of($p)' "$J" --argjson p "$POLLERS")" \
	'(groups_of($a) | length == 1 and (.[0] // "" | endswith(" Acceptor")))
	 and (groups_of($p) | length == 1 and (.[0] // "" | endswith(" Poller")))' \
	--argjson a "$ACCEPTORS" --argjson p "$POLLERS"
# The same on /metrics (--serve), beside a report of the same seconds.
http_load heavy "$TPORT2" "/work?cpu=$CPU_US&wait=$WAIT_US" 9
sleep 1
serve_pair tomcat_cut_serve "$WPID"
serve_agree tomcat_cut_serve
load_ok tomcat_cut_serve
finish
