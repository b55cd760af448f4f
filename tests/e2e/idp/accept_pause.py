#!/usr/bin/env python3
"""door-idp out of file descriptors: it stops accepting for a moment instead
of spinning on the readable listening socket, and serves again once
descriptors are free.  Starts door-idp (plain HTTP) with RLIMIT_NOFILE 48,
opens 80 connections, measures door-idp's CPU time over one second, closes
them and GETs discovery.  usage: accept_pause.py DOOR_IDP SCENARIO  (TAP)"""
import json, os, resource, socket, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

idp, scenario = sys.argv[1], sys.argv[2]
print("1..3")
tmp = tempfile.mkdtemp(prefix="door-idp-accept.")
ready = os.path.join(tmp, "ready.json")

def low_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

p = subprocess.Popen([idp, "--scenario", scenario, "--plain-http",
                      "--ready-file", ready],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     preexec_fn=low_limit)
try:
    for _ in range(200):
        if os.path.exists(ready) and os.path.getsize(ready) > 0:
            break
        time.sleep(0.05)
    info = json.load(open(ready))
    url = info["profiles"]["xmarket"]["discovery"]
    u = urllib.parse.urlparse(url)

    def ticks():
        f = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])

    socks = [socket.create_connection((u.hostname, u.port))
             for _ in range(80)]
    t0 = ticks()
    time.sleep(1.0)
    used = ticks() - t0
    hz = os.sysconf("SC_CLK_TCK")
    print("# door-idp used %d of %d clock ticks in 1 s with its "
          "descriptors exhausted" % (used, hz))
    ok = used <= hz // 10
    print(("ok" if ok else "not ok") +
          " 1 - no busy loop while accept() fails (at most 10% of a CPU)")
    for s in socks:
        s.close()
    time.sleep(0.3)
    status = urllib.request.urlopen(url, timeout=5).status
    print("# discovery after the connections closed: %d" % status)
    print(("ok" if status == 200 else "not ok") +
          " 2 - serves again once descriptors are free")
finally:
    p.terminate()
    rc = p.wait(timeout=10)
print(("ok" if rc == 0 else "not ok") + " 3 - exits 0 on SIGTERM (%d)" % rc)
