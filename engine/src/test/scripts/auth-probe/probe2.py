import time, sys
sys.argv = ["x", "none"]
exec(open("probe.py").read().split("mode = sys.argv[1]")[0])
P = 18532
full = C(P); full.connect(user="full", **{"pass": "full"})
w = C(P); w.connect(user="w", **{"pass": "w"}); w.send("SUB foo.> 1"); w.sync()
full.send("PUB foo.x.y 1", "a", "PUB foo.x 1", "b"); full.sync(); time.sleep(0.2)
show("w (allow foo.*) SUB foo.> got", w.sync())
dq = C(P); dq.connect(user="dq", **{"pass": "dq"})
for i, s in enumerate(["foo", "foo y", "foo x", "bar", "bar x"]):
    show("dq SUB " + s, dq.send("SUB %s %d" % (s, i + 1)) or dq.sync())
a = C(P); a.connect(user="a", **{"pass": "a"})
show("a SUB foo.x grp", a.send("SUB foo.x grp 1") or a.sync())
show("a SUB foo.bar grp", a.send("SUB foo.bar grp 2") or a.sync())
tz = C(P); tz.connect(user="tz", **{"pass": "tz"})
for i, s in enumerate(["foo.a.bar", "foo.a.bar x", "foo.a.bar y", "foo.*.bar", "foo.>"]):
    show("tz SUB " + s, tz.send("SUB %s %d" % (s, i + 1)) or tz.sync())
re_ = C(P); re_.connect(user="re", **{"pass": "re"}); re_.send("SUB req 1"); re_.sync()
full.send("SUB _INBOX.> 9"); full.sync()
full.send("PUB req _INBOX.e1 1", "q"); full.sync(); time.sleep(0.1); re_.sync()
show("re pub within 500ms", re_.send("PUB _INBOX.e1 1", "1") or re_.sync())
time.sleep(0.8)
show("re pub after 800ms", re_.send("PUB _INBOX.e1 1", "2") or re_.sync())
full.send("PUB req _INBOX.e2 1", "q", "PUB req _INBOX.e2 1", "q"); full.sync(); time.sleep(0.1); re_.sync()
show("re same reply twice granted, publish 6 times", re_.send(*(["PUB _INBOX.e2 1", "x"] * 6)) or re_.sync())
full.sync(); time.sleep(0.2); show("full got count", len([l for l in full.sync() if l.startswith("MSG")]))
# publishing a message with reply to a subject-with-wildcard?
show("full PUB foo.* (wildcard publish)", full.send("PUB foo.* 1", "a") or full.sync())
