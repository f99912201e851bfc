#!/usr/bin/env python3
"""The host side of tests/kvm/guest_net.sh, run inside the test's network
namespace (tap0 = 10.0.2.1/24, the guest is 10.0.2.15).  It mirrors the
guest's script step by step and prints one "peer: ..." line per result.
Every wait has a deadline; nothing here can reach beyond the namespace."""
import hashlib, os, socket, struct, subprocess, sys, threading, time

GUEST, TAP = "10.0.2.15", "tap0"
DEADLINE = time.time() + float(os.environ.get("PEER_BUDGET", "240"))


def say(*a):
    print("peer:", *a, flush=True)


def left():
    return max(1.0, DEADLINE - time.time())


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.2.1", port))
    s.listen(8)
    s.settimeout(left())
    return s


def read_all(c):
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            return data
        data += b


def connect_retry(port, tries=600):
    for _ in range(tries):
        try:
            return socket.create_connection((GUEST, port), timeout=5)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("cannot connect to guest port %d" % port)


def ping(count):
    r = subprocess.run(["busybox", "ping", "-c", str(count), "-W", "2", GUEST], capture_output=True, text=True)
    return r.returncode == 0, r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""


def malformed_frames():
    """Junk the guest must survive: runts, bad headers, lies about lengths,
    fragments, bad TCP offsets, random bytes."""
    arp = open("/proc/net/arp").read().split("\n")
    mac = next(l.split()[3] for l in arp if l.startswith(GUEST + " "))
    dst = bytes.fromhex(mac.replace(":", ""))
    src = bytes.fromhex("02aabbccddee")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((TAP, 0))

    def ip(proto, payload, ihl=5, tot=None, frag=0, csum=True):
        tot = 20 + len(payload) if tot is None else tot
        h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0,
                        socket.inet_aton("10.0.2.1"), socket.inet_aton(GUEST))
        if csum:
            c = sum(struct.unpack("!10H", h))
            c = (c & 0xffff) + (c >> 16)
            c = (c & 0xffff) + (c >> 16)
            h = h[:10] + struct.pack("!H", ~c & 0xffff) + h[12:]
        return h + payload

    frames = [b"", b"\x00", dst + src, dst + src + b"\x08\x00", dst + src + b"\x08\x06" + b"\x00\x01"]
    frames += [dst + src + b"\x08\x00" + p for p in (
        ip(1, b"\x08\x00\x00\x00"), ip(1, b"", ihl=15), ip(1, b"", ihl=2), ip(6, b"x" * 20, tot=2000),
        ip(6, b"x" * 20, tot=10), ip(1, b"\x08\x00" + b"\x00" * 30, frag=0x2000),
        ip(1, b"\x08\x00" + b"\x00" * 30, frag=0x0010), ip(1, b"\x08" * 40, csum=False),
        ip(17, b"\x00\x01\x00\x07\x00\x03\x00\x00"), ip(17, b"\x00\x01\x1b\x5a\xff\xff\x00\x00abc"),
        ip(6, struct.pack("!HHIIBBHHH", 1234, 7777, 1, 0, 0xf0, 0x02, 1000, 0, 0)),
        ip(6, struct.pack("!HHIIBBHHH", 1234, 7777, 1, 0, 0x00, 0x12, 1000, 0, 0)),
        ip(6, b"\x00"), ip(17, b"\x00"), ip(99, b"whatever"))]
    rnd = __import__("random").Random(42)
    for _ in range(2000):
        n = rnd.randrange(0, 1500)
        frames.append(dst + src + rnd.choice([b"\x08\x00", b"\x08\x06", b"\x86\xdd"]) + bytes(rnd.getrandbits(8) for _ in range(n)))
    sent = 0
    for f in frames:
        try:
            s.send(f)
            sent += 1
        except OSError:
            pass
    return sent


def main():
    l_tcp, l_bulk, l_tw = listener(5000), listener(5001), listener(5002)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.0.2.1", 7000))
    u.settimeout(left())

    for _ in range(120):
        ok, _ = ping(1)
        if ok:
            break
    ok, summary = ping(3)
    say("ping", "ok" if ok else "FAILED", summary)

    c, _ = l_tcp.accept()
    c.settimeout(left())
    got = read_all_until_eof_then_reply(c)
    say("tcp from guest '%s'" % got.decode(errors="replace").strip())

    c = connect_retry(6000)
    c.settimeout(left())
    c.sendall(b"host-to-guest\n")
    c.shutdown(socket.SHUT_WR)
    say("tcp from guest listener '%s'" % read_all(c).decode(errors="replace").strip())
    c.close()

    data, addr = u.recvfrom(2048)
    u.sendto(b"udp-pong:" + data, addr)
    say("udp from guest '%s' port %d" % (data.decode(errors="replace"), addr[1]))

    v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v.settimeout(0.5)
    for _ in range(120):
        v.sendto(b"hello-udp", (GUEST, 7001))
        try:
            say("udp reply '%s'" % v.recvfrom(2048)[0].decode(errors="replace"))
            break
        except socket.timeout:
            pass

    c, _ = l_bulk.accept()
    c.settimeout(left())
    t0 = time.time()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    dt = time.time() - t0
    c.close()
    say("bulk %d bytes sha256 %s in %.2fs (%.1f MB/s)" % (n, h.hexdigest(), dt, n / dt / 1e6))

    payload = os.urandom(10 << 20)      # host -> guest: the guest's receive window at work
    c = connect_retry(6001)
    c.settimeout(left())
    t0 = time.time()
    c.sendall(payload)
    c.shutdown(socket.SHUT_WR)
    read_all(c)
    c.close()
    dt = time.time() - t0
    say("sent %d bytes sha256 %s in %.2fs (%.1f MB/s)" % (len(payload), hashlib.sha256(payload).hexdigest(), dt, len(payload) / dt / 1e6))

    c, _ = l_tw.accept()        # the guest closes first and keeps TIME_WAIT
    c.settimeout(left())
    say("timewait peer got '%s'" % read_all(c).decode(errors="replace").strip())
    c.close()

    # backlog 2: six clients, the guest accepts none for 3 s
    first = connect_retry(5003)
    conns = [first]
    for _ in range(5):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex((GUEST, 5003))
        conns.append(c)
    closed = 0
    for c in conns:
        c.settimeout(45)
        try:
            while True:
                if not c.recv(100):
                    break
            closed += 1
        except OSError:
            pass
        c.close()
    say("backlog clients closed by guest: %d/6" % closed)

    results = []

    def client(i):
        try:
            c = connect_retry(7777, tries=300)
            c.settimeout(30)
            for k in range(3):
                msg = ("client %02d message %d " % (i, k)).encode() * 4
                c.sendall(msg)
                back = b""
                while len(back) < len(msg):
                    b = c.recv(4096)
                    if not b:
                        break
                    back += b
                if back != msg:
                    raise RuntimeError("bad echo")
            c.close()
            results.append(True)
        except Exception as e:  # noqa: BLE001 - reported as a count
            results.append(False)
            say("client %d: %s" % (i, e))

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(left())
    say("epoll clients ok=%d/50 in %.2fs" % (sum(results), time.time() - t0))

    sent = malformed_frames()
    time.sleep(0.5)
    ok, summary = ping(3)
    say("malformed frames sent=%d, ping after: %s" % (sent, "ok" if ok else "FAILED"))
    for _ in range(10):
        v.sendto(b"done", (GUEST, 7002))
        time.sleep(0.3)


def read_all_until_eof_then_reply(c):
    data = read_all(c)
    c.sendall(b"host-reply\n")
    c.close()
    return data


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        say("ERROR", repr(e))
        sys.exit(1)
