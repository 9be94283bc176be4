(ns weft.jepsen.hosts
  "Test hosts: one network namespace per node on a private bridge of this machine (no uplink, no
  default route, and an nft guard that drops anything not addressed to the test subnet), with
  partitions by nft inside the namespaces and packet delay by tc netem."
  (:require [clojure.string :as str]
            [weft.jepsen.util :refer [sh sh! log]]))

(def bridge "wjbr0")
(def prefix (or (System/getenv "WEFT_JEPSEN_NET") "10.77.0"))
(def host-ip (str prefix ".254"))

(defn node-name [i] (str "n" i))
(defn netns [node] (str "wj-" node))
(defn ip [node] (str prefix "." (subs node 1)))
(defn- host-veth [node] (str "wjh" (subs node 1)))
(defn- node-veth [node] (str "wjc" (subs node 1)))

(defn nodes [n] (mapv node-name (range 1 (inc n))))

(defn existing-netns []
  (->> (str/split-lines (:out (sh "ip" "netns" "list")))
       (map #(first (str/split % #"\s+")))
       (filter #(and % (str/starts-with? % "wj-")))))

(defn- nsexec [node & cmd] (apply sh! "ip" "netns" "exec" (netns node) cmd))

(defn- guard-rules [node]
  ;; inside the namespace: loopback and the test subnet only, in and out
  (str "table inet wjguard {\n"
       " chain out { type filter hook output priority 0; policy drop;\n"
       "  oifname \"lo\" accept\n  ip daddr " prefix ".0/24 accept\n }\n"
       " chain in { type filter hook input priority 0; policy drop;\n"
       "  iifname \"lo\" accept\n  ip saddr " prefix ".0/24 accept\n }\n}\n"))

(defn- nft-script! [node script]
  (let [f (java.io.File/createTempFile "wj-nft" ".nft")]
    (try (spit f script)
         (nsexec node "nft" "-f" (str f))
         (finally (.delete f)))))

(defn teardown!
  "Kills every process left in the test namespaces, deletes them and the bridge; safe to call
  any time (bin/jepsen clean)."
  []
  (doseq [ns (existing-netns)]
    (doseq [pid (str/split-lines (:out (sh "ip" "netns" "pids" ns)))
            :when (re-matches #"\d+" (str/trim pid))]
      (sh "kill" "-CONT" (str/trim pid))
      (sh "kill" "-9" (str/trim pid)))
    (sh "ip" "netns" "del" ns))
  (doseq [l (str/split-lines (:out (sh "ip" "-o" "link" "show")))
          :let [[_ name] (re-find #"^\d+:\s+(wj[a-z]*\d*)[@:]" l)]
          :when name]
    (sh "ip" "link" "del" name)))

(defn setup!
  "Creates the bridge and one namespace per node; returns the nodes."
  [nodes]
  (teardown!)
  (sh! "ip" "link" "add" bridge "type" "bridge")
  (sh! "ip" "addr" "add" (str host-ip "/24") "dev" bridge)
  (sh! "ip" "link" "set" bridge "up")
  (doseq [node nodes]
    (sh! "ip" "netns" "add" (netns node))
    (sh! "ip" "link" "add" (host-veth node) "type" "veth" "peer" "name" (node-veth node))
    (sh! "ip" "link" "set" (node-veth node) "netns" (netns node))
    (sh! "ip" "link" "set" (host-veth node) "master" bridge "up")
    (sh! "ip" "-n" (netns node) "addr" "add" (str (ip node) "/24") "dev" (node-veth node))
    (sh! "ip" "-n" (netns node) "link" "set" (node-veth node) "up")
    (sh! "ip" "-n" (netns node) "link" "set" "lo" "up")
    (nft-script! node (guard-rules node)))
  (log "hosts up:" (str/join ", " (map #(str % "=" (ip %)) nodes)))
  nodes)

;; ---- partitions

(defn grudge
  "Which nodes each node drops traffic from, for a partition into components (collections of
  nodes): every node drops the nodes of every other component."
  [components]
  (into {} (for [c components n c]
             [n (vec (sort (mapcat identity (remove #(= % c) components))))])))

(defn partition!
  "Applies a grudge: inside each node's namespace an nft table dropping packets from the listed
  peers (the host, where the clients run, stays reachable)."
  [grudge]
  (doseq [[node drops] grudge :when (seq drops)]
    (sh "ip" "netns" "exec" (netns node) "nft" "delete" "table" "inet" "wjpart")
    (nft-script! node (str "table inet wjpart {\n chain in { type filter hook input priority -10;\n"
                           "  ip saddr { " (str/join ", " (map ip drops)) " } drop\n }\n}\n"))))

(defn heal! [nodes]
  (doseq [node nodes]
    (sh "ip" "netns" "exec" (netns node) "nft" "delete" "table" "inet" "wjpart")))

;; ---- packet delay

(defn delay! [nodes ms jitter-ms]
  (doseq [node nodes]
    (sh! "ip" "netns" "exec" (netns node) "tc" "qdisc" "replace" "dev" (node-veth node) "root"
         "netem" "delay" (str ms "ms") (str jitter-ms "ms"))))

(defn undelay! [nodes]
  (doseq [node nodes]
    (sh "ip" "netns" "exec" (netns node) "tc" "qdisc" "del" "dev" (node-veth node) "root")))
