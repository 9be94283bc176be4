import time, sys
sys.argv = ["x", "none"]
exec(open("probe.py").read().split("mode = sys.argv[1]")[0])
P = 18533
full = C(P); full.connect(user="full", **{"pass": "full"}); full.send("SUB _INBOX.> 9"); full.sync()
rt = C(P); rt.connect(user="rt", **{"pass": "rt"}); rt.send("SUB req 1"); rt.sync()
full.send("PUB req _INBOX.a 1", "q", "PUB req _INBOX.b 1", "q"); full.sync(); time.sleep(0.2); rt.sync()
show("rt pub _INBOX.a immediately", rt.send("PUB _INBOX.a 1", "1") or rt.sync())
rt.s.settimeout(200)
for i in range(25):
    time.sleep(5); rt.send("PING"); rt.line()
show("rt pub _INBOX.b after 125s", rt.send("PUB _INBOX.b 1", "1") or rt.sync())
