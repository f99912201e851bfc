# The host side of tests/kvm/vm_linux.sh's virtio-net test, inside its
# network namespace: take one TCP connection on port 7777, read a line,
# ping the peer back, answer with the ping's status. Bounded by timeouts.
import socket
import subprocess

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7777))
s.listen(1)
s.settimeout(420)
c, (peer, _) = s.accept()
c.settimeout(60)
got = b""
while not got.endswith(b"\n"):
    b = c.recv(100)
    if not b:
        break
    got += b
ping = subprocess.run(["busybox", "ping", "-c", "2", "-W", "10", peer], capture_output=True).returncode
print("host got", got.decode().strip(), "from", peer, "ping back", ping, flush=True)
c.sendall(b"hello-from-host ping=%d\n" % ping)
c.close()
