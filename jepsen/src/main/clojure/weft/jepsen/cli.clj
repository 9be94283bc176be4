(ns weft.jepsen.cli
  "bin/jepsen: test, clean, setup-check. A test: hosts up, servers up, stream (queue) or bucket
  (kv) created, workers and the nemesis for time-limit seconds, heal, drain (queue), check, and
  always tear the hosts down."
  (:require [clojure.pprint :as pp]
            [clojure.string :as str]
            [weft.jepsen.client :as client]
            [weft.jepsen.db :as db]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.kv :as kv]
            [weft.jepsen.nemesis :as nemesis]
            [weft.jepsen.plot :as plot]
            [weft.jepsen.queue :as queue]
            [weft.jepsen.util :refer [log sh sleep-until]])
  (:import (java.io File)
           (java.time LocalDateTime)
           (java.time.format DateTimeFormatter)
           (java.util.concurrent.atomic AtomicLong))
  (:gen-class))

(def usage
  "Usage: bin/jepsen test [options]   run one test (as root)
       bin/jepsen clean            kill leftover servers, delete the test namespaces and bridge
       bin/jepsen test-all [--servers weft,nats-server] [--workloads queue,kv] [--nemeses LIST] [options]
                                   every server x workload x nemesis (each fault alone and the composites),
                                   one after the other with the options of test; a Markdown table of results
       bin/jepsen plot DIR         (re)write DIR/plot.html from a run folder's history.edn
                                   (every test writes one: latency per operation, nemesis windows)
Options of test:
  --nodes N                 3 or 5 (default 5)
  --time-limit S            seconds of load and faults (default 60)
  --nemesis LIST            comma separated of kill,pause,partition,bridge,one-way,clock,strobe,delay,bitflip,
                            truncate,snapshot,member,partition-kill,pause-kill or none
                            (default kill,partition); bitflip and truncate damage the data files
                            of one fixed minority while its servers are down; snapshot copies a data dir
                            of that minority while it runs and puts it back (kill, restore, restart)
                            at the heal; strobe flips a clock back and forth (weft only); member peer
                            removes a replica of the stream or scales it up by one (needs --replicas
                            below --nodes)
  --file-pattern REGEX      the files bitflip and truncate may damage: a regex found in the path under
                            the node's data dir, e.g. '\\.blk$' (nats-server message blocks), '/raft/'
                            (weft stream Raft logs), '/msgs/' (default: every file)
  --nemesis-interval S      seconds between a fault's start and its heal (default 10)
  --workload queue|kv       queue (publish/fetch/ack, checked for lost acked values; default) or kv
                            (read/write/cas registers on a KV bucket, checked for linearizability)
  --kv-direct on|off        kv: reads by direct get, answered by any replica (on, jnats's default for a
                            bucket) or by STREAM.MSG.GET, answered by the stream leader (off)
  --server nats-server|weft server under test (default nats-server)
  --server-bin PATH         the server binary (default target/nats-server-unstable/usr/sbin/nats-server,
                            for weft bin/weft: server-main's jar, built by bin/jepsen when stale)
  --replicas N              replicas of the queue stream or KV bucket (default: the number of nodes, R3/R5)
  --sync-interval V         JetStream sync_interval: always, or a duration such as 2m (default: the server's)
  --lazyfs on|off           data dirs through weft-lazyfs: every kill also loses the node's writes
                            not yet fsynced, and kills may hit every node at once (default off)
  --rate R                  total operations per second across workers (default 100)
  --max-ops N               bound on client operations (default 100000)
  --timeout-ms MS           client connect and request timeout (default 2000)
  --drain S                 bound of the queue's final drain in seconds (default 60)
  --seed N                  seed of the fault schedule (default: time)
  --store DIR               parent of the run folders (default target/jepsen)")

(defn parse-args [args]
  (loop [m {:nodes 5 :time-limit 60 :nemesis "kill,partition" :nemesis-interval 10
            :workload "queue" :server "nats-server" :rate 100 :max-ops 100000 :timeout-ms 2000
            :drain 60 :seed (System/currentTimeMillis) :store "target/jepsen"}
         [k v & more :as args] args]
    (cond
      (empty? args) m
      (nil? v) (throw (ex-info (str "missing value for " k) {}))
      :else
      (let [key (keyword (subs k 2))
            num #{:nodes :time-limit :nemesis-interval :rate :max-ops :timeout-ms :drain :seed :replicas}]
        (when-not (or (num key) (#{:nemesis :workload :server :server-bin :sync-interval :store :file-pattern :lazyfs :kv-direct} key))
          (throw (ex-info (str "unknown option " k) {})))
        (recur (assoc m key (if (num key) (Long/parseLong v) v)) more)))))

(declare replicas)

(defn- validate [o]
  (when-not (#{3 5} (:nodes o)) (throw (ex-info "--nodes must be 3 or 5" {})))
  (when-not (#{"queue" "kv"} (:workload o)) (throw (ex-info (str "unknown workload " (:workload o) " (queue or kv)") {})))
  (when-not (#{"nats-server" "weft"} (:server o)) (throw (ex-info (str "unknown server " (:server o)) {})))
  (when-not (contains? #{"on" "off" nil} (:lazyfs o)) (throw (ex-info "--lazyfs must be on or off" {})))
  (when-not (contains? #{"on" "off" nil} (:kv-direct o)) (throw (ex-info "--kv-direct must be on or off" {})))
  (when (and (:kv-direct o) (not= "kv" (:workload o)))
    (throw (ex-info "--kv-direct is an option of --workload kv" {})))
  (when (= "on" (:lazyfs o))
    (let [r (sh (db/lazyfs-bin))]
      ;; with no arguments it prints its usage and exits 2 when python3-fusepy imports
      (when-not (= 2 (:exit r))
        (throw (ex-info (str "--lazyfs on: " (db/lazyfs-bin) " does not run (bin/jepsen setup installs python3-fusepy): "
                             (:out r)) {}))))
    (when-not (.exists (File. "/dev/fuse")) (throw (ex-info "--lazyfs on: /dev/fuse is missing" {}))))
  (when-let [p (:file-pattern o)]
    (try (re-pattern p)
         (catch java.util.regex.PatternSyntaxException e
           (throw (ex-info (str "--file-pattern is not a regular expression: " (.getMessage e)) {})))))
  (when-let [r (:replicas o)]
    (when-not (<= 1 r (:nodes o)) (throw (ex-info (str "--replicas must be 1.." (:nodes o)) {}))))
  (let [faults (if (= "none" (:nemesis o)) #{} (set (map keyword (str/split (:nemesis o) #","))))]
    (when-let [bad (seq (remove nemesis/all-faults faults))]
      (throw (ex-info (str "unknown nemesis " (str/join "," (map name bad))) {})))
    (when (and (:member faults) (>= (replicas o) (:nodes o)))
      (throw (ex-info (str "--nemesis member needs a spare server for the peer remove's replacement and the "
                           "scale up: --replicas below --nodes (e.g. --nodes 5 --replicas 3)") {})))
    (when (and (:member faults) (< (replicas o) 2))
      (throw (ex-info "--nemesis member needs a replicated stream (--replicas 2 or more)" {})))
    (when (and (:member faults) (= "kv" (:workload o)))
      (throw (ex-info "--nemesis member changes the queue stream's group: --workload queue only" {})))
    (when (and (some nemesis/clock-faults faults) (not= "weft" (:server o)))
      (throw (ex-info (str "--nemesis clock and strobe run against weft only: it offsets weft's wall clock through its "
                           "test-only WEFT_TEST_CLOCK_OFFSET_FILE; network namespaces share the machine's "
                           "realtime clock and nats-server (Go, vDSO time) has no such hook") {})))
    faults))

(defn- run-dir ^File [store]
  (let [d (File. (str store) (.format (LocalDateTime/now) (DateTimeFormatter/ofPattern "yyyyMMdd'T'HHmmss")))]
    (.mkdirs d)
    d))

(def lock-path (or (System/getenv "WEFT_JEPSEN_LOCK") "/tmp/weft-jepsen.lock"))

(defn with-lock
  "Runs f holding the machine-wide harness lock: the namespace and bridge names are fixed, so a
  second run (or a clean) would tear down the first one's hosts."
  [f]
  (let [ch (java.nio.channels.FileChannel/open
             (.toPath (File. ^String lock-path))
             (into-array java.nio.file.OpenOption [java.nio.file.StandardOpenOption/CREATE
                                                  java.nio.file.StandardOpenOption/WRITE]))]
    (try
      (if-let [l (.tryLock ch)]
        (try (f) (finally (.release l)))
        (throw (ex-info (str "another bin/jepsen run holds " lock-path "; wait for it (its hosts would be torn down)") {})))
      (finally (.close ch)))))

(defn default-server-bin [home server]
  (case server
    "weft" (str home "/bin/weft")
    (str home "/target/nats-server-unstable/usr/sbin/nats-server")))

(defn replicas
  "The queue stream's (or KV bucket's) replicas: --replicas, else one per node (R3/R5, as the workload intends)."
  [o]
  (or (:replicas o) (:nodes o)))

(defn- create-queue!
  "Creates the stream and its consumer through node url, retrying while the cluster settles
  (no meta leader yet, placement not possible yet) for 30 s; a refusal that retrying cannot
  change (the server does not support the configuration) ends the run at once."
  [url o]
  (with-open [c (client/connect url (:timeout-ms o))]
    (loop [tries 0]
      (let [r (try (client/create-stream! c (replicas o)) nil (catch Exception e e))]
        (when r
          (let [code (client/api-error-code r)]
            (cond
              (= 10012 code)
              (throw (ex-info (str "the server refused the queue's consumer on an R" (replicas o) " stream: "
                                   (.getMessage ^Exception r)
                                   (when (= "weft" (:server o))
                                     " (weft does not support consumers on replicated streams yet: --replicas 1 runs the R1 fallback)"))
                              {}))
              (< tries 60) (do (Thread/sleep 500) (recur (inc tries)))
              :else (throw (ex-info (str "could not create the stream: " r) {})))))))))

(defn- retrying
  "(f) until it returns without throwing, every 500 ms for 30 s while the cluster settles (no
  meta leader yet, placement not possible yet, the new group has no leader yet)."
  [what f]
  (loop [tries 0]
    (let [r (try (f) nil (catch Exception e e))]
      (when r
        (if (< tries 60)
          (do (Thread/sleep 500) (recur (inc tries)))
          (throw (ex-info (str "could not " what ": " r) {})))))))

(defn- create-bucket!
  "Creates the KV bucket through node url (with allow_direct off for --kv-direct off), retried
  as create-queue! does."
  [url o]
  (with-open [c (client/connect url (:timeout-ms o))]
    (retrying "create the KV bucket" #(kv/create-bucket! c (replicas o) (not= "off" (:kv-direct o))))))

(defn- run-title [o dir]
  (str (:server o) " " (:workload o) " " (:nodes o) " nodes, nemesis " (:nemesis o) ", seed " (:seed o)
       " (" (.getName ^File dir) ")"))

(defn run-test! [o]
  (let [faults (validate o)
        home (or (System/getenv "WEFT_HOME") ".")
        nodes (hosts/nodes (:nodes o))
        dir (run-dir (:store o))
        test {:nodes nodes :store (.getAbsolutePath dir) :sync-interval (:sync-interval o)
              :server (:server o) :file-pattern (:file-pattern o) :lazyfs (= "on" (:lazyfs o))
              :clock-offsets (boolean (some nemesis/clock-faults faults))
              :replicas (replicas o) :interval (:nemesis-interval o)
              :server-bin (or (:server-bin o) (default-server-bin home (:server o)))
              :timeout-ms (:timeout-ms o) :drain-s (:drain o)
              :op-interval-ms (max 1 (quot (* 1000 2 (count nodes)) (max 1 (:rate o))))}
        sched (nemesis/schedule {:faults faults :nodes nodes :interval (:nemesis-interval o)
                                 :time-limit (:time-limit o) :seed (:seed o)
                                 :lazyfs (= "on" (:lazyfs o))})
        t0 (System/nanoTime)
        history (atom [])
        hfile (File. dir "history.edn")
        record! (fn [e]
                  (let [e (assoc e :time (- (System/nanoTime) t0))]
                    (locking history
                      (swap! history conj e)
                      (spit hfile (str (pr-str e) "\n") :append true))
                    e))
        stop (atom false)
        urls (into (sorted-map) (for [n nodes] [n (str "nats://" (hosts/ip n) ":" db/client-port)]))]
    (when-not (.canExecute (File. ^String (:server-bin test)))
      (throw (ex-info (str "server binary not found: " (:server-bin test)
                           (if (= "weft" (:server o)) " (bin/build builds weft)" " (bin/fetch-nats-server fetches it)")) {})))
    (spit (File. dir "test.edn") (with-out-str (pp/pprint (assoc o :schedule sched :dir (str dir)))))
    (log "run folder" (str dir) "seed" (:seed o))
    (let [hook (Thread. ^Runnable (fn [] (reset! stop true) (db/stop-all!) (db/unmount-all!) (hosts/teardown!)))]
      (.addShutdownHook (Runtime/getRuntime) hook)
      (try
        (hosts/setup! nodes)
        (when (:lazyfs test) (doseq [n nodes] (db/mount-lazyfs! test n)))
        (when (:delay faults)
          ;; refuse rather than run a delay nemesis that does nothing
          (try (hosts/delay! [(first nodes)] 1 0) (hosts/undelay! [(first nodes)])
               (catch Exception e
                 (throw (ex-info (str "--nemesis delay: tc netem does not work on this kernel (sch_netem missing?): "
                                      (.getMessage e)) {})))))
        (doseq [n nodes] (db/start! test n))
        (let [bad (db/await-healthy! nodes 60)]
          (when (seq bad) (throw (ex-info (str "nodes not healthy after 60 s: " bad) {}))))
        (if (= "kv" (:workload o))
          (do (log "cluster healthy; creating KV bucket R" (replicas o) "on" (:server o))
              (create-bucket! (first (vals urls)) o)
              (log "bucket created:" (kv/describe-bucket (first (vals urls)) (:timeout-ms o))))
          (do (log "cluster healthy; creating stream R" (replicas o) "on" (:server o))
              (create-queue! (first (vals urls)) o)
              (log "stream and consumer created:" (client/describe-stream (first (vals urls)) (:timeout-ms o)))))
        (let [load-start (System/nanoTime)
              deadline (+ load-start (* (:time-limit o) 1000000000))
              budget (AtomicLong. (:max-ops o))
              counter (AtomicLong. 0)
              workers (vec (for [i (range (* 2 (count nodes)))
                                 :let [node (nth nodes (mod i (count nodes)))]]
                             {:id i :node node :url (urls node)
                              :role (if (< i (count nodes)) :publisher :reader)}))
              futs (mapv (fn [w] (future (if (= "kv" (:workload o))
                                           (kv/worker test w #(.incrementAndGet counter)
                                                      deadline budget record! #(deref stop) (:seed o))
                                           (queue/worker test w #(.incrementAndGet counter)
                                                         deadline budget record! #(deref stop)))))
                         workers)
              nem (future
                    (doseq [op sched :while (not @stop)]
                      (sleep-until (+ load-start (* (:at op) 1000000000)) #(deref stop))
                      (when (< (System/nanoTime) deadline)
                        (log "nemesis:" (name (:f op)) (name (:fault op)) (:nodes op))
                        (record! {:process :nemesis :type :info :f (keyword (str (name (:f op)) "-" (name (:fault op))))
                                  :value (:nodes op)})
                        (try (let [r (nemesis/apply-op! test op)]
                               (when (map? r)
                                 (doseq [[k f] {:damage :file-damage :snapshot :file-snapshot :member :member-change}
                                         :when (contains? r k)]
                                   (log "nemesis:" (name f) (pr-str (get r k)))
                                   (record! {:process :nemesis :type :info :f f :value (get r k)}))))
                             (catch Exception e (log "nemesis op failed:" (.getMessage e)))))))]
          (log "load:" (count workers) "workers," (:time-limit o) "s, nemesis" (str/join "," (map name faults)))
          (doseq [f futs] (deref f (+ (* 1000 (:time-limit o)) 60000) nil))
          (reset! stop true)
          (deref nem 30000 nil)
          (reset! stop false)
          (record! {:process :nemesis :type :info :f :heal-all :value nodes})
          (nemesis/heal-all! test)
          (let [bad (db/await-healthy! nodes 60)]
            (when (seq bad) (log "after healing, not healthy within 60 s:" bad)))
          ;; the kv workload has no drain: its checker works on the history as it stands
          (when-not (= "kv" (:workload o))
            (queue/drain! test urls history record!)
            (doseq [[node url] urls]
              (log "final state seen from" node ":" (client/describe-state url (:timeout-ms o)))))
          (db/record-end-state! test nodes)
          (let [result (assoc (if (= "kv" (:workload o)) (kv/check @history) (queue/check @history))
                              :workload (:workload o) :server (:server o) :replicas (replicas o)
                              :nodes (count nodes) :history (str (File. dir "history.edn")))]
            (spit (File. dir "results.edn") (with-out-str (pp/pprint result)))
            (try (log "plot:" (plot/plot! dir (run-title o dir)))
                 (catch Exception e (log "plot failed:" (.getMessage e))))
            result))
        (finally
          (db/stop-all!)
          (db/unmount-all!)
          (hosts/teardown!)
          (try (.removeShutdownHook (Runtime/getRuntime) hook) (catch Exception _ nil))
          (log "hosts torn down; logs, data and history in" (str dir)))))))

(defn print-kv-summary [r]
  (println)
  (println "server" (:server r) " nodes" (:nodes r) " KV bucket R" (:replicas r) " keys" (:keys r))
  (doseq [[f c] (:ops r)]
    (println (format "%-5s" (name f)) "ok" (:ok c 0) " fail" (:fail c 0) " info" (:info c 0)))
  (println "verdict" (name (:verdict r)) (str "(" (:steps r) " search steps)"))
  (when (= :NOT_LINEARIZABLE (:verdict r))
    (println "could not place" (:stuck r) "on key" (pr-str (:key r)))
    (doseq [e (:stuck-entries r)] (println "  history:" (pr-str e)))
    (println "after" (:linearized-count r) "linearized ops of that key, the last ones:")
    (doseq [l (:linearized-tail r)] (println "  " l)))
  (when (:history r) (println "history" (:history r)))
  (println "valid?" (:valid? r)))

(defn print-queue-summary [r]
  (println)
  (println "server" (:server r) " nodes" (:nodes r) " stream R" (:replicas r)
           (if (and (= 1 (:replicas r)) (> (:nodes r 1) 1))
             " (R1 FALLBACK: one replica, on one node; not the workload's R3/R5)"
             ""))
  (println "acked" (:acked-count r) " indeterminate" (:indeterminate-count r)
           " read" (:read-count r) " lost" (:lost-count r) " unexpected" (:unexpected-count r)
           " duplicated" (:duplicated-count r) " recovered" (:recovered-count r))
  (println "lost per node" (pr-str (:lost-per-node r)))
  (when (seq (:lost r)) (println "lost (first 50)" (pr-str (:lost r))))
  (when (seq (:unexpected r)) (println "unexpected (first 50)" (pr-str (:unexpected r))))
  (println "valid?" (:valid? r)))

(defn print-summary [r]
  (if (= "kv" (:workload r))
    (print-kv-summary r)
    (print-queue-summary r)))

(def test-all-nemeses
  "Each fault alone and the composites: the rows of test-all (file faults and delay stay out: they
  need a --file-pattern choice or sch_netem)."
  ["kill" "pause" "partition" "bridge" "one-way" "clock" "partition-kill" "pause-kill"])

(defn test-all-plan
  "The runs of test-all: every server x workload x nemesis of the lists (comma separated in
  o's :servers, :workloads, :nemeses), minus the combinations a server cannot run (clock on
  nats-server); each run's options are o's with those three set."
  [o]
  (let [split #(str/split (str %) #",")]
    (vec (for [server (split (:servers o "weft,nats-server"))
               workload (split (:workloads o "queue,kv"))
               nemesis (split (:nemeses o (str/join "," test-all-nemeses)))
               :when (not (and (= nemesis "clock") (not= server "weft")))]
           (-> (dissoc o :servers :workloads :nemeses)
               (assoc :server server :workload workload :nemesis nemesis))))))

(defn- summary-line [r]
  (if (= "kv" (:workload r))
    (str (name (:verdict r)) ", ok ops " (reduce + (map #(:ok % 0) (vals (:ops r)))))
    (str "acked " (:acked-count r) ", read " (:read-count r) ", lost " (:lost-count r)
         ", unexpected " (:unexpected-count r))))

(defn test-all!
  "Runs the plan one after the other (each holding the lock), prints a Markdown table of the
  results and writes it to <store>/test-all-<time>.md; true when every run was valid."
  [o]
  (let [plan (test-all-plan o)
        rows (vec (for [run plan]
                    (let [r (try (with-lock #(run-test! run))
                                 (catch Exception e {:valid? false :error (.getMessage e)}))]
                      (log "test-all:" (:server run) (:workload run) (:nemesis run) "valid?" (:valid? r))
                      [run r])))
        table (str "| server | workload | nemesis | valid | result | run |\n|---|---|---|---|---|---|\n"
                   (apply str (for [[run r] rows]
                                (str "| " (:server run) " | " (:workload run) " | " (:nemesis run) " | "
                                     (if (:valid? r) "yes" "**no**") " | "
                                     (or (:error r) (summary-line r)) " | "
                                     (some-> (:history r) File. .getParent) " |\n"))))
        out (File. (str (:store o)) (str "test-all-" (.format (LocalDateTime/now) (DateTimeFormatter/ofPattern "yyyyMMdd'T'HHmmss")) ".md"))]
    (.mkdirs (.getParentFile out))
    (spit out table)
    (println table)
    (println "table in" (str out))
    (every? (comp :valid? second) rows)))

(defn -main [& args]
  (let [[cmd & opts] args
        code (try
               (case cmd
                 "test" (let [r (with-lock #(run-test! (parse-args opts)))]
                          (print-summary r)
                          (if (:valid? r) 0 1))
                 "test-all" (let [[extra rest-opts] (loop [m {} [k v & more :as a] opts out []]
                                                      (cond (empty? a) [m out]
                                                            (#{"--servers" "--workloads" "--nemeses"} k)
                                                            (recur (assoc m (keyword (subs k 2)) v) more out)
                                                            :else (recur m (vec (drop 2 a)) (into out (take 2 a)))))
                                  o (merge (parse-args rest-opts) extra)]
                              (doseq [run (test-all-plan o)] (validate run))
                              (if (test-all! o) 0 1))
                 "plot" (let [[d] opts]
                          (when-not (and d (.isFile (File. ^String d "history.edn")))
                            (throw (ex-info (str "plot: give a run folder holding history.edn, e.g. target/jepsen/20261207T143509") {})))
                          (println (plot/plot! (File. ^String d) (str "run " (.getName (File. ^String d)))))
                          0)
                 "clean" (with-lock #(do (db/unmount-all!) (hosts/teardown!) (println "clean: test namespaces and bridge removed") 0))
                 ("help" "-h" "--help") (do (println usage) 0)
                 (do (binding [*out* *err*] (println usage)) 2))
               (catch clojure.lang.ExceptionInfo e
                 (binding [*out* *err*] (println "jepsen:" (.getMessage e)))
                 2)
               (catch Exception e
                 (.printStackTrace e)
                 2))]
    (shutdown-agents)
    (System/exit code)))
