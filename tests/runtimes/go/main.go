// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause

// A Go server on the targets/ line protocol, for make test-runtimes.
//
// Go's shape: a goroutine per connection, written as blocking code; the
// runtime multiplexes goroutines on GOMAXPROCS threads (Ms) and parks a
// goroutine that waits for a socket in its netpoller (one thread in
// epoll_wait), so no thread blocks in a socket read. Each request burns
// cpu_us of thread CPU time, then sends "WAIT us" to the backend over the
// goroutine's own connection, reads "DONE" and answers "OK". The threads'
// designed WT/CT is 0: the wait is the goroutines', not the threads'.
// Every thread's comm is the binary's name.
//
// Standard library only (no module proxy is reachable here).
//
// Usage: go_server [-port P] [-backend-port P] [-seconds S]
// Prints "go_server pid=PID port=PORT" first; exits after S seconds.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

var sink uint64

// threadCPU is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// burn spins for us microseconds of CPU time, in rounds of half the time
// left at the rate seen so far, as targets/common.c does. The goroutine
// stays on its thread meanwhile, so that the thread's clock is its own.
func burn(us int64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	end, now := start+us*1000, start
	var done, n uint64 = 0, 64
	x := uint64(88172645463325252)
	for now < end {
		for i := uint64(0); i < n; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		done += n
		now = threadCPU()
		if now > start {
			n = uint64(float64(end-now)/2*float64(done)/float64(now-start)) + 1
		} else {
			n *= 2
		}
	}
	sink = x
}

func serve(c net.Conn, backendPort int) {
	defer c.Close()
	var b net.Conn
	var bin *bufio.Reader
	in := bufio.NewReader(c)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "REQ" {
			return
		}
		cpu, _ := strconv.ParseInt(f[1], 10, 64)
		wait, _ := strconv.ParseInt(f[2], 10, 64)
		burn(cpu)
		if wait > 0 {
			if b == nil {
				if b, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", backendPort)); err != nil {
					return
				}
				defer b.Close()
				bin = bufio.NewReader(b)
			}
			if _, err = fmt.Fprintf(b, "WAIT %d\n", wait); err != nil {
				return
			}
			if l, err := bin.ReadString('\n'); err != nil || l != "DONE\n" {
				return
			}
		}
		if _, err = c.Write([]byte("OK\n")); err != nil {
			return
		}
	}
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any)")
	backendPort := flag.Int("backend-port", 0, "the backend's port")
	seconds := flag.Float64("seconds", 30, "exit after this many seconds")
	flag.Parse()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("go_server pid=%d port=%d\n", os.Getpid(), l.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	// Bounded in time.
	time.AfterFunc(time.Duration(*seconds*float64(time.Second)), func() { os.Exit(0) })
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go serve(c, *backendPort)
	}
}
