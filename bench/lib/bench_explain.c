/* bench: what each workload and metric shows about the operating system,
 * in the words of the course the workloads illustrate. */
#include <string.h>

#include "bench/lib/bench.h"

struct explain {
    const char *workload, *metric; /* metric NULL: the workload as a whole */
    const char *text;
};

static const struct explain table[] = {
    { "syscall", NULL,
      "A system call is how a program asks the kernel for anything: the CPU switches from "
      "user mode to kernel mode and back (a mode switch, not a context switch). getpid() does "
      "no real work, so this is the bare price of crossing that boundary." },
    { "syscall", "getpid_ns",
      "One user-to-kernel round trip. A container runs on the same kernel, so it should cost "
      "the same as the host (seccomp filters add a little); a VM guest traps only into its own "
      "kernel, not into the hypervisor." },
    { "ctxswitch", NULL,
      "A context switch saves one task's registers into its control block and loads another's. "
      "Between processes the page-table root changes too, so cached address translations (the "
      "TLB) are lost unless tagged with an address-space id; threads share one address space, "
      "which is why the course calls them cheaper to switch." },
    { "ctxswitch", "pipe_switch_ns",
      "Process to process, woken through a pipe: a switch that changes address space (each "
      "hand-over also includes one write and one read system call)." },
    { "ctxswitch", "futex_switch_ns",
      "Thread to thread in one process, woken through a futex: no address-space change (each "
      "hand-over also includes a futex wake and wait)." },
    { "fork", NULL,
      "fork() creates a process by copying the parent's page tables, not its memory: both share "
      "every page read-only, and the first write to a page faults and copies it (copy on write)." },
    { "fork", "fork_us", "Creating, running and reaping a tiny process: fork, exit, wait." },
    { "fork", "fork_big_us",
      "Forking after the process filled PAGES pages: more page tables to copy and pages to "
      "write-protect." },
    { "fork", "cow_fault_ns",
      "One copy-on-write fault: a trap into the kernel, a page allocated and 4 KiB copied." },
    { "pagefault", NULL,
      "mmap() only reserves virtual addresses; the kernel finds physical memory when a page is "
      "first touched. In a VM the guest's page fault may also need the host to back the guest "
      "page (two levels of translation: nested paging)." },
    { "pagefault", "first_touch_ns", "First write to a fresh page: fault, zeroed page, mapping." },
    { "pagefault", "retouch_ns", "Writing to pages already mapped: a plain memory access (and TLB misses)." },
    { "memlat", NULL,
      "Dependent loads at random over a growing working set trace the memory hierarchy: about "
      "1-2 ns while it fits in L1, more in L2 and L3, ~100 ns from main memory, as the course's "
      "table of costs says. Large sets also miss the TLB; in a VM each such miss walks two page "
      "tables." },
    { "cpu", NULL,
      "Pure user-mode computation without system calls: isolation should cost nothing here. "
      "Differences come from the CPU itself (frequency, shared caches, neighbours)." },
    { "cpu", "sha256_MBps", "Hashing throughput: arithmetic in registers and L1." },
    { "cpu", "sieve_ms", "Sieve of Eratosthenes: compute plus streaming memory writes." },
    { "fileio", NULL,
      "Writes land in the page cache (memory) and fsync() waits for the device. Reads are served "
      "from the cache when warm; a cold read (O_DIRECT, or after dropping the file's cached pages) "
      "goes to the device. A container writes through overlayfs to the same disk; a VM goes "
      "through its virtual disk." },
    { "fileio", "write_MBps", "write() into the page cache: a memory copy through the kernel." },
    { "fileio", "fsync_ms", "Making the data durable: the device's real cost." },
    { "fileio", "read_cold_MBps", "Reading from the device, not the cache." },
    { "fileio", "read_warm_MBps", "Reading from the page cache: a memory copy." },
    { "alloc", NULL,
      "The heap is managed in user space by malloc, which asks the kernel for memory now and "
      "then (brk, mmap). The stack grows on demand: each new stack page faults once." },
    { "alloc", "malloc_free_ns", "One malloc or free: the allocator's own work, rarely a system call." },
    { "alloc", "recurse_first_ns", "A call that grows the stack into pages never touched: page faults." },
    { "alloc", "recurse_warm_ns", "The same calls once the stack pages exist: a few instructions." },
    { "udp-rtt", NULL,
      "UDP has no handshake, ordering or retransmission: a datagram's round trip is the network "
      "stack twice and two wake-ups. Over loopback in a container's own network namespace it is "
      "the same stack; a VM's traffic goes through a virtual NIC." },
    { "tcp-rr", NULL,
      "Small request/response on one TCP connection: the latency an RPC pays. Each transaction "
      "is a write and a read on each side plus the wake-ups in between." },
    { "tcp-rr", "connect_us", "The three-way handshake of one connection (one sample)." },
    { "tcp-stream", NULL,
      "Bulk transfer: data is copied into the send buffer, segmented, and copied out of the "
      "receive buffer; flow control bounds what is in flight." },
    { "startup", NULL,
      "Time from launching the program to its first instruction. On the host that is fork and "
      "exec. A container adds namespaces, cgroups, the root filesystem mounts and pivot_root; a "
      "VM adds creating the virtual machine and booting its kernel." },
    { "memory", NULL,
      "Peak resident memory of everything the mode starts (summed over the process tree, "
      "sampled every 10 ms). Beyond the host's figure it is the price of the isolation: the "
      "osbox monitor and container init, or the VMM and the guest memory it touched." },
};

const char *bench_explain_workload(const char *workload)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].workload, workload) && !table[i].metric)
            return table[i].text;
    return "";
}

const char *bench_explain_metric(const char *workload, const char *metric)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].workload, workload) && table[i].metric &&
            !strcmp(table[i].metric, metric))
            return table[i].text;
    if (!strcmp(workload, "memlat"))
        return "Average latency of one dependent load at this working-set size.";
    if (strstr(metric, "p99"))
        return "The 99th percentile: the slow tail, where scheduling and interrupts show.";
    if (!strcmp(metric, "rtt_us") || !strcmp(metric, "rr_us"))
        return "Mean round trip.";
    if (!strcmp(metric, "stream_MBps"))
        return "Bytes per second through one connection.";
    return "";
}
