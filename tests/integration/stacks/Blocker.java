// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// test_stacks.sh: a Java method that sleeps, compiled by the JIT after a few hundred calls.
public class Blocker {
    static long sink;
    static void sleepInJava(int ms) throws InterruptedException { Thread.sleep(ms); sink++; }
    public static void main(String[] a) throws Exception {
        int rounds = a.length > 0 ? Integer.parseInt(a[0]) : 3000;
        for (int i = 0; i < rounds; i++) sleepInJava(1);
        System.out.println("done " + sink);
    }
}
