// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// test_stacks.sh: a Java method that sleeps, compiled by the JIT after a few hundred calls, and
// two that a thread of its own calls as often but that stay interpreted (the test excludes them
// from compilation, as code the JIT has not got to yet). The interpreter's code is the same for
// both: only the method its frames hold tells their call sites apart.
public class Blocker implements Runnable {
    static long sink;
    static void sleepInJava(int ms) throws InterruptedException { Thread.sleep(ms); sink++; }
    static void sleepInterpreted(int ms) throws InterruptedException { Thread.sleep(ms); sink++; }
    static void sleepInterpretedAgain(int ms) throws InterruptedException { Thread.sleep(ms); sink--; }
    public void run() {
        try {
            for (;;) { sleepInterpreted(1); sleepInterpretedAgain(1); }
        } catch (InterruptedException e) { }
    }
    public static void main(String[] a) throws Exception {
        int rounds = a.length > 0 ? Integer.parseInt(a[0]) : 3000;
        Thread t = new Thread(new Blocker(), "never-hot");
        t.setDaemon(true);
        t.start();
        for (int i = 0; i < rounds; i++) sleepInJava(1);
        System.out.println("done " + sink);
    }
}
