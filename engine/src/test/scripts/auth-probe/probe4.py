import time, sys
sys.argv = ["x", "none"]
exec(open("probe.py").read().split("mode = sys.argv[1]")[0])
P = 18539
full = C(P); full.connect(user="full", **{"pass": "full"})
q2 = C(P); q2.connect(user="q2", **{"pass": "q2"})
show("q2 SUB bar 1 (refused)", q2.send("SUB bar 1") or q2.sync())
full.send("PUB bar 1", "x"); full.sync(); time.sleep(0.3)
show("q2 got after PUB bar", q2.sync())
v = C(P); show("verbose pd", v.connect(user="pd", verbose=True, **{"pass": "pd"}))
show("verbose pd PUB secret.x", v.send("PUB secret.x 1", "a") or v.sync())
