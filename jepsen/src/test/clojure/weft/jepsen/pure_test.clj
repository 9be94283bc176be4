(ns weft.jepsen.pure-test
  "The parts of the harness that need no root and no server: fault schedule, partition grudges,
  node configuration, option parsing, and the checker glue over sim's QueueChecker and
  Linearizability (the kv workload)."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [weft.jepsen.cli :as cli]
            [weft.jepsen.db :as db]
            [weft.jepsen.files :as files]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.kv :as kv]
            [weft.jepsen.nemesis :as nemesis]
            [weft.jepsen.plot :as plot]
            [weft.jepsen.queue :as queue]))

(def five (hosts/nodes 5))

(deftest schedule-alternates-faults-and-heals-within-the-time-limit
  (let [s (nemesis/schedule {:faults #{:kill :pause :partition} :nodes five :interval 10 :time-limit 300 :seed 7})]
    (is (= 28 (count s)) "a start at 10, 30, ... 270 and each stop one interval later")
    (is (every? #(< (:at %) 300) s) "every heal before the end of the load")
    (is (= (take 4 (map :f s)) [:start :stop :start :stop]))
    (doseq [[a b] (partition 2 s)]
      (is (= (:fault a) (:fault b)))
      (is (= (:nodes a) (:nodes b)))
      (is (= 10 (- (:at b) (:at a)))))
    (is (= s (nemesis/schedule {:faults #{:kill :pause :partition} :nodes five :interval 10 :time-limit 300 :seed 7}))
        "same seed, same schedule")
    (is (= #{:kill :pause :partition} (set (map :fault s))))
    (testing "pauses hit one node or a minority; partitions split into a minority and a majority"
      (doseq [op s]
        (case (:fault op)
          :pause (is (<= 1 (count (:nodes op)) 2))
          :kill (is (<= 1 (count (:nodes op)) 3))
          :partition (let [[mi ma] (:components op)]
                       (is (= (set five) (into (set mi) ma)))
                       (is (< (count mi) (count ma)))))))
    (is (= [] (nemesis/schedule {:faults #{} :nodes five :interval 10 :time-limit 300 :seed 1})))))

(deftest grudge-drops-every-other-component
  (is (= {"n1" ["n3" "n4" "n5"] "n2" ["n3" "n4" "n5"] "n3" ["n1" "n2"] "n4" ["n1" "n2"] "n5" ["n1" "n2"]}
         (hosts/grudge [["n1" "n2"] ["n3" "n4" "n5"]]))))

(deftest bridge-halves-reach-each-other-only-through-the-bridge
  (is (= {:nodes ["n3"] :components [["n1" "n3" "n5"] ["n2" "n3" "n4"]]
          :grudge {"n1" ["n2" "n4"] "n5" ["n2" "n4"] "n2" ["n1" "n5"] "n4" ["n1" "n5"]}}
         (nemesis/bridge-grudge ["n3" "n5" "n1" "n4" "n2"])))
  (is (= {"n1" ["n3"] "n3" ["n1"]} (:grudge (nemesis/bridge-grudge ["n2" "n1" "n3"])))
      "three nodes: the two ends drop each other, the bridge drops nobody")
  (testing "scheduled bridges: the bridge is in both components, which cover every node"
    (let [s (nemesis/schedule {:faults #{:bridge} :nodes five :interval 10 :time-limit 300 :seed 3})]
      (is (seq s))
      (doseq [{:keys [nodes components grudge]} s
              :let [[b] nodes]]
        (is (every? #(some #{b} %) components))
        (is (= (set five) (set (apply concat components))))
        (is (not (contains? grudge b)))
        (is (= 4 (count grudge)))))))

(deftest one-way-cuts-one-direction
  (is (= {:nodes ["n2"] :grudge {"n2" ["n1" "n3"]}} (nemesis/one-way-grudge "n2" ["n3" "n1"] :in)))
  (is (= {:nodes ["n2"] :grudge {"n1" ["n2"] "n3" ["n2"]}} (nemesis/one-way-grudge "n2" ["n3" "n1"] :out)))
  (let [s (nemesis/schedule {:faults #{:one-way} :nodes five :interval 10 :time-limit 300 :seed 9})]
    (is (= #{:in :out} (set (map :target s))) "both directions over a 300 s schedule")))

(deftest clock-faults-jump-a-minority-by-a-listed-amount
  (let [s (nemesis/schedule {:faults #{:clock} :nodes five :interval 10 :time-limit 600 :seed 4})]
    (is (seq s))
    (doseq [[start stop] (partition 2 s)]
      (is (= (dissoc start :at) (dissoc (assoc stop :f :start) :at)) "the heal names the same nodes and offset")
      (is (<= 1 (count (:nodes start)) 2))
      (is (some #{(Math/abs (long (:offset-ms start)))} nemesis/clock-jumps-ms)))
    (is (= #{-1 1} (set (map #(Long/signum (long (:offset-ms %))) s))) "ahead and behind"))
  (let [v #'cli/validate]
    (is (= #{:clock} (v (cli/parse-args ["--server" "weft" "--nodes" "3" "--nemesis" "clock"]))))
    (is (thrown-with-msg? clojure.lang.ExceptionInfo #"weft only"
                          (v (cli/parse-args ["--server" "nats-server" "--nodes" "3" "--nemesis" "clock"]))))))

(deftest composites-leave-no-side-a-quorum
  (doseq [seed (range 1 30)
          op (nemesis/schedule {:faults #{:partition-kill :pause-kill} :nodes five :interval 5 :time-limit 100 :seed seed})
          :when (= :start (:f op))]
    (let [[killed] (:kill op)
          hit (set (:nodes op))]
      (is (= 1 (count (:kill op))))
      (is (= 2 (count hit)) "a minority of five")
      (is (not (hit killed)) "the killed node is outside the minority")
      (when (= :partition-kill (:fault op))
        (is (= [(vec (sort hit)) (vec (sort (remove hit five)))] (:components op)))
        (is (= (vec (sort (remove hit five))) (get (:grudge op) (first hit))))))))

(deftest adding-nemeses-keeps-the-old-schedules
  (is (every? nemesis/all-faults [:bridge :one-way :partition :kill :clock :partition-kill :pause-kill]))
  (is (= (nemesis/schedule {:faults #{:kill :partition} :nodes five :interval 10 :time-limit 300 :seed 11})
         (nemesis/schedule {:faults #{:partition :kill} :nodes five :interval 10 :time-limit 300 :seed 11}))))

(deftest node-config-routes-to-the-other-nodes
  (let [c (db/config {:nodes (hosts/nodes 3) :sync-interval "always" :store "/tmp/run"} "n2")]
    (is (str/includes? c "listen: \"10.77.0.2:4222\""))
    (is (str/includes? c "store_dir: \"/tmp/run/n2/data\""))
    (is (str/includes? c "sync_interval: \"always\""))
    (is (str/includes? c "\"nats://10.77.0.1:6222\""))
    (is (str/includes? c "\"nats://10.77.0.3:6222\""))
    (is (not (str/includes? c "nats://10.77.0.2:6222")) "no route to itself"))
  (is (not (str/includes? (db/config {:nodes (hosts/nodes 3) :store "/tmp/run"} "n1") "sync_interval"))
      "without --sync-interval the server's default"))

(deftest options
  (is (= 3 (:nodes (cli/parse-args ["--nodes" "3"]))))
  (is (= "2m" (:sync-interval (cli/parse-args ["--sync-interval" "2m"]))))
  (is (thrown? clojure.lang.ExceptionInfo (cli/parse-args ["--bogus" "1"])))
  (is (thrown? clojure.lang.ExceptionInfo (cli/parse-args ["--nodes"]))))

(defn- op [p type f v node] {:process p :type type :f f :value v :node node :time 0})

(deftest checker-counts-lost-unexpected-and-lost-per-node
  (let [h [(op 0 :invoke :enqueue 1 "n1") (op 0 :ok :enqueue 1 "n1")
           (op 1 :invoke :enqueue 2 "n2") (op 1 :ok :enqueue 2 "n2")
           (op 0 :invoke :enqueue 3 "n1") (op 0 :ok :enqueue 3 "n1")
           (op 1 :invoke :enqueue 4 "n2") (op 1 :info :enqueue 4 "n2")
           (op 0 :invoke :enqueue 5 "n1") (op 0 :fail :enqueue 5 "n1")
           {:process :nemesis :type :info :f :start-kill :value ["n1"] :time 0}
           (op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 2 "n3")
           (op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 4 "n3")
           (op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 2 "n3")
           (op 2 :invoke :dequeue nil "n3") (op 2 :fail :dequeue nil "n3")]
        r (queue/check h)]
    (is (false? (:valid? r)) "acked 1 and 3 were never read")
    (is (= 3 (:acked-count r)))
    (is (= 2 (:read-count r)))
    (is (= 2 (:lost-count r)))
    (is (= {"n1" 2} (:lost-per-node r)))
    (is (= 0 (:unexpected-count r)))
    (is (= 1 (:duplicated-count r)))
    (is (= 1 (:recovered-count r)) "the indeterminate 4 was read")
    (let [r2 (queue/check (into h [(op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 1 "n3")
                                   (op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 3 "n3")]))]
      (is (true? (:valid? r2)) "duplicates allowed: at-least-once"))
    (let [r3 (queue/check (into h [(op 2 :invoke :dequeue nil "n3") (op 2 :ok :dequeue 5 "n3")]))]
      (is (= 1 (:unexpected-count r3)) "a failed enqueue's value read back"))))

(deftest validation-refuses-unknown-servers-and-impossible-replicas
  (let [v #'cli/validate]
    (is (= #{:kill} (v (cli/parse-args ["--server" "weft" "--nodes" "3" "--nemesis" "kill"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--server" "etcd" "--nodes" "3"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--nodes" "3" "--replicas" "4"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--nodes" "3" "--replicas" "0"]))))))

(defn- temp-dir-with [contents]
  (let [d (.toFile (java.nio.file.Files/createTempDirectory "wj-files" (make-array java.nio.file.attribute.FileAttribute 0)))]
    (doseq [[name bytes] contents]
      (let [f (java.io.File. d ^String name)]
        (.mkdirs (.getParentFile f))
        (java.nio.file.Files/write (.toPath f) ^bytes (byte-array bytes) (make-array java.nio.file.OpenOption 0))))
    d))

(defn- read-all [^java.io.File d]
  (into (sorted-map) (for [f (files/data-files d)] [(.getName ^java.io.File f) (vec (java.nio.file.Files/readAllBytes (.toPath ^java.io.File f)))])))

(defn- differing-bits [a b]
  (reduce + (map #(Long/bitCount (bit-and 0xff (bit-xor %1 %2))) a b)))

(deftest file-faults-damage-what-they-report-and-replay-from-the-seed
  (let [contents {"a/1.blk" (range 100) "a/2.blk" (repeat 300 7) "b/hardstate" (range 40) "empty" []}
        d1 (temp-dir-with contents)
        d2 (temp-dir-with contents)
        before (read-all d1)
        done (files/bitflip! d1 nil 42)]
    (is (= 3 (count (files/data-files d1))) "the empty file is not a data file")
    (is (= ["1.blk" "2.blk"] (mapv #(.getName ^java.io.File %) (files/data-files d1 "\\.blk$"))) "a pattern narrows the files")
    (is (= [] (files/bitflip! (temp-dir-with {"a.idx" [1 2 3]}) "\\.blk$" 1)) "nothing matches, nothing damaged")
    (is (<= 2 (count done) 4) "two bits in one or two files")
    (is (= done (files/bitflip! d2 nil 42)) "the same seed damages the same places")
    (is (= (read-all d1) (read-all d2)))
    (let [after (read-all d1)
          touched (set (map #(last (str/split (:file %) #"/")) done))]
      (doseq [[name bytes] after]
        (let [flips (differing-bits (before name) bytes)
              expected (count (filter #(str/ends-with? (:file %) name) done))]
          ;; two flips of the same bit cancel out; otherwise each reported flip shows
          (is (contains? #{expected (- expected 2)} flips) name)
          (when-not (touched name) (is (zero? flips) name))))))
  (let [d (temp-dir-with {"x.log" (range 120) "y.log" (range 50)})
        before (read-all d)
        [{:keys [file from to]} :as done] (files/truncate! d nil 9)
        after (read-all d)
        name (last (str/split file #"/"))]
    (is (= 1 (count done)))
    (is (< to from))
    (is (= from (count (before name))))
    (is (= (subvec (before name) 0 to) (after name)) "a tail is cut, the rest is untouched")
    (is (= (dissoc before name) (dissoc after name)))))

(deftest cut-lengths-are-mostly-short-and-never-empty
  (let [rnd (java.util.Random. 3)
        cuts (repeatedly 1000 #(files/cut-length rnd 10000))]
    (is (every? #(<= 1 % 10000) cuts))
    (is (< 500 (count (filter #(< % 1500) cuts))) "a bias toward short tails")))

(deftest file-faults-only-hit-one-fixed-minority
  (doseq [seed [1 2 3 99]]
    (let [s (nemesis/schedule {:faults #{:bitflip :truncate :kill} :nodes five :interval 5 :time-limit 300 :seed seed})
          minority (set (nemesis/damaged-minority five seed))
          hit (set (mapcat :nodes (filter #(nemesis/file-faults (:fault %)) s)))]
      (is (= 2 (count minority)))
      (is (seq hit))
      (is (every? minority hit) (str "seed " seed ": " hit " outside " minority))
      (is (every? :damage-seed (filter #(nemesis/file-faults (:fault %)) s)))))
  (is (= (nemesis/schedule {:faults #{:kill :pause} :nodes five :interval 10 :time-limit 100 :seed 5})
         (nemesis/schedule {:faults #{:kill :pause} :nodes five :interval 10 :time-limit 100 :seed 5}))))

;; ---------------------------------------------------------------- kv workload

(defn- kvop [p type f k v] {:process p :type type :f f :key k :value v :node "n1" :time 0})

(def kv-linearizable
  "Two keys, three processes: writes, a cas from the value read, concurrent reads, an
  indeterminate write whose value is later read (it took effect), a nemesis entry in between."
  [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
   (kvop 1 :invoke :read "a" nil) (kvop 1 :ok :read "a" 1)
   (kvop 1 :invoke :cas "a" [1 2])
   (kvop 2 :invoke :read "a" nil)
   (kvop 1 :ok :cas "a" [1 2])
   (kvop 2 :ok :read "a" 1)            ; concurrent with the cas: may come before it
   {:process :nemesis :type :info :f :start-kill :value ["n2"] :time 0}
   (kvop 0 :invoke :read "b" nil) (kvop 0 :ok :read "b" nil)   ; never written: nil
   (kvop 0 :invoke :write "b" 3) (kvop 0 :info :write "b" 3)
   (kvop 1000 :invoke :read "b" nil) (kvop 1000 :ok :read "b" 3)
   (kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 2)])

(deftest kv-checker-accepts-a-linearizable-history
  (let [r (kv/check kv-linearizable)]
    (is (true? (:valid? r)) (pr-str r))
    (is (= :LINEARIZABLE (:verdict r)))
    (is (= 2 (:keys r)))
    (is (= {:cas {:ok 1 :fail 0 :info 0} :read {:ok 5 :fail 0 :info 0} :write {:ok 1 :fail 0 :info 1}}
           (:ops r)))
    (is (nil? (:stuck r)))))

(deftest kv-checker-finds-a-stale-read
  (let [h [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
           (kvop 1 :invoke :write "a" 2) (kvop 1 :ok :write "a" 2)
           (kvop 0 :invoke :read "b" nil) (kvop 0 :ok :read "b" nil)
           ;; invoked after the write of 2 completed, yet it sees 1: a deposed leader or a
           ;; lagging follower answering
           (kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 1)]
        r (kv/check h)]
    (is (false? (:valid? r)))
    (is (= :NOT_LINEARIZABLE (:verdict r)))
    (is (= "a" (:key r)) "the failing key")
    (is (str/includes? (:stuck r) "read") (:stuck r))
    (is (= [(nth h 6) (nth h 7)] (:stuck-entries r)) "the stuck op points back at its history entries")
    (is (= 2 (:linearized-count r)) "both writes were placed before the read got stuck"))
  (testing "the same read while the write of 2 is still running is fine"
    (is (true? (:valid? (kv/check [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
                                   (kvop 1 :invoke :write "a" 2)
                                   (kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 1)
                                   (kvop 1 :ok :write "a" 2)]))))))

(deftest kv-checker-a-failed-cas-never-took-effect
  (let [base [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
              (kvop 1 :invoke :cas "a" [1 2]) (kvop 1 :fail :cas "a" [1 2])]]
    (is (true? (:valid? (kv/check (into base [(kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 1)]))))
        "after a failed cas the old value is still there")
    (let [r (kv/check (into base [(kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 2)]))]
      (is (false? (:valid? r)) "a failed cas's value read back: it did take effect, the fail was a lie")
      (is (= :NOT_LINEARIZABLE (:verdict r))))
    (is (= {:cas {:ok 0 :fail 1 :info 0} :read {:ok 1 :fail 0 :info 0} :write {:ok 1 :fail 0 :info 0}}
           (:ops (kv/check (into base [(kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 1)])))))
    (testing "an indeterminate cas may have taken effect, or not"
      (let [info [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
                  (kvop 1 :invoke :cas "a" [1 2]) (kvop 1 :info :cas "a" [1 2])]]
        (is (true? (:valid? (kv/check (into info [(kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 2)])))))
        (is (true? (:valid? (kv/check (into info [(kvop 2 :invoke :read "a" nil) (kvop 2 :ok :read "a" 1)])))))))
    (testing "an ok cas whose expected value was not the register's is not linearizable"
      (is (false? (:valid? (kv/check [(kvop 0 :invoke :write "a" 1) (kvop 0 :ok :write "a" 1)
                                      (kvop 1 :invoke :cas "a" [7 8]) (kvop 1 :ok :cas "a" [7 8])])))))))

(deftest kv-checker-an-empty-or-all-failed-history-is-not-valid
  (is (false? (:valid? (kv/check []))))
  (is (false? (:valid? (kv/check [(kvop 0 :invoke :write "a" 1) (kvop 0 :fail :write "a" 1)
                                  (kvop 1 :invoke :read "a" nil) (kvop 1 :info :read "a" nil)]))))
  (is (= :LINEARIZABLE (:verdict (kv/check [])))))

(deftest kv-checker-step-budget-gives-unknown-not-valid
  (let [r (kv/check kv-linearizable 1)]
    (is (= :UNKNOWN (:verdict r)))
    (is (false? (:valid? r)))))

(deftest kv-op-history-is-fed-as-the-simulator-feeds-it
  (let [ops (vec (.ops (kv/op-history (kv/client-ops kv-linearizable))))]
    (is (= 16 (count ops)) "the nemesis entry is left out")
    (is (= (io.weft.sim.check.KV. "a" nil) (.value ^io.weft.sim.check.Op (nth ops 2))) "a read's invoke: nil")
    (is (= (io.weft.sim.check.KV. "a" 1) (.value ^io.weft.sim.check.Op (nth ops 3))) "its ok: the value read")
    (is (= (io.weft.sim.check.KV. "a" [1 2]) (.value ^io.weft.sim.check.Op (nth ops 4))) "a cas: [expected new]")))

(deftest kv-keys-rotate-a-few-at-a-time
  (let [rnd (java.util.Random. 1)
        first-gen (set (for [n (range kv/ops-per-generation)] (kv/key-for n rnd)))]
    (is (= kv/keys-at-a-time (count first-gen)))
    (is (every? #(str/starts-with? % "g0k") first-gen))
    (is (str/starts-with? (kv/key-for kv/ops-per-generation rnd) "g1k"))))

(deftest kv-workload-is-accepted
  (let [v #'cli/validate]
    (is (= #{:kill :partition} (v (cli/parse-args ["--workload" "kv" "--nodes" "3"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--workload" "set" "--nodes" "3"]))))
    (is (= "queue" (:workload (cli/parse-args []))) "queue stays the default")
    (is (= #{:kill} (v (cli/parse-args ["--workload" "kv" "--kv-direct" "off" "--nodes" "3" "--nemesis" "kill"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--workload" "kv" "--kv-direct" "maybe" "--nodes" "3"]))))
    (is (thrown? clojure.lang.ExceptionInfo (v (cli/parse-args ["--kv-direct" "off" "--nodes" "3"])))
        "--kv-direct refused for the queue workload rather than ignored")))

(deftest plot-pairs-operations-and-shades-nemesis-windows
  (let [h [{:process 0 :type :invoke :f :write :value 1 :time 1000000000}
           {:process 1 :type :invoke :f :read :value nil :time 1500000000}
           {:process :nemesis :type :info :f :start-kill :value ["n1"] :time 2000000000}
           {:process 0 :type :ok :f :write :value 1 :time 1020000000}
           {:process 1 :type :info :f :read :value nil :time 3500000000}
           {:process 0 :type :invoke :f :write :value 2 :time 4000000000}
           {:process 0 :type :fail :f :write :value 2 :time 4001000000}
           {:process :nemesis :type :info :f :stop-kill :value ["n1"] :time 7000000000}
           {:process 2 :type :invoke :f :read :value nil :time 7500000000}]
        ops (plot/operations h)]
    (is (= [[:write :ok 1.0 20] [:read :info 1.5 2000] [:write :fail 4.0 1]]
           (map (juxt :f :type :start-s #(Math/round (double (:latency-ms %)))) ops))
        "each invocation with its completion; the last, never completed, is left out")
    (is (= [{:fault "kill" :nodes ["n1"] :from-s 2.0 :to-s 7.0}] (plot/nemesis-windows h 7.5)))
    (is (= [{:fault "pause" :nodes ["n2"] :from-s 1.0 :to-s 9.0}]
           (plot/nemesis-windows [{:process :nemesis :type :info :f :start-pause :value ["n2"] :time 1000000000}] 9.0))
        "a window still open at the end closes there")
    (let [page (plot/html h "t")]
      (is (= 3 (count (re-seq #"<circle class=\"op " page))))
      (is (= 1 (count (re-seq #"<circle class=\"op fail" page))))
      (is (= 3 (count (re-seq #"<rect class=\"nemesis\"" page))) "the window on both latency plots and the rate plot")
      (is (str/includes? page "write: ok 1, fail 1, info 0")))))

(deftest test-all-runs-the-cross-product-nats-server-without-clock
  (let [plan (cli/test-all-plan (assoc (cli/parse-args ["--nodes" "3" "--time-limit" "30"]) :servers "weft,nats-server"))]
    (is (= (+ 16 14) (count plan)) "8 nemeses x 2 workloads for weft, 7 x 2 for nats-server")
    (is (not-any? #(and (= "nats-server" (:server %)) (= "clock" (:nemesis %))) plan))
    (is (every? #(= 30 (:time-limit %)) plan))
    (is (= #{"queue" "kv"} (set (map :workload plan))))
    (is (not-any? :servers plan)))
  (is (= [["weft" "kv" "bridge"]]
         (map (juxt :server :workload :nemesis)
              (cli/test-all-plan (assoc (cli/parse-args []) :servers "weft" :workloads "kv" :nemeses "bridge"))))))

;; ---------------------------------------------------------------- membership, snapshot/restore, strobes

(deftest member-snapshot-and-strobe-schedules
  (let [s (nemesis/schedule {:faults #{:member :snapshot :strobe} :nodes five :interval 5 :time-limit 400 :seed 13})
        by (group-by :fault s)
        minority (set (nemesis/damaged-minority five 13))]
    (is (= #{:member :snapshot :strobe} (set (keys by))))
    (is (= #{:peer-remove :grow} (set (map :target (:member by)))) "both kinds of membership change")
    (is (every? #(and (integer? (:pick %)) (not (neg? (:pick %)))) (:member by)))
    (is (every? #(every? minority (:nodes %)) (:snapshot by)) "snapshot/restore only on the damaged minority")
    (doseq [op (:strobe by)]
      (is (<= 1 (count (:nodes op)) 2))
      (is (#{200 2000 30000} (Math/abs (long (:offset-ms op)))))
      (is (#{150 300 700} (:period-ms op))))
    (is (= s (nemesis/schedule {:faults #{:member :snapshot :strobe} :nodes five :interval 5 :time-limit 400 :seed 13}))))
  (testing "adding the new faults leaves the old faults' schedules as they were"
    (is (= (nemesis/schedule {:faults #{:kill :partition} :nodes five :interval 10 :time-limit 300 :seed 11})
           (nemesis/schedule {:faults #{:partition :kill} :nodes five :interval 10 :time-limit 300 :seed 11})))))

(deftest member-and-strobe-validation
  (let [v #'cli/validate]
    (is (= #{:member} (v (cli/parse-args ["--server" "weft" "--nodes" "5" "--replicas" "3" "--nemesis" "member"]))))
    (is (thrown-with-msg? clojure.lang.ExceptionInfo #"spare server"
                          (v (cli/parse-args ["--nodes" "5" "--nemesis" "member"]))) "R5 on 5 nodes: no spare")
    (is (thrown-with-msg? clojure.lang.ExceptionInfo #"replicated stream"
                          (v (cli/parse-args ["--nodes" "3" "--replicas" "1" "--nemesis" "member"]))))
    (is (thrown-with-msg? clojure.lang.ExceptionInfo #"queue only"
                          (v (cli/parse-args ["--nodes" "5" "--replicas" "3" "--workload" "kv" "--nemesis" "member"]))))
    (is (thrown-with-msg? clojure.lang.ExceptionInfo #"strobe"
                          (v (cli/parse-args ["--server" "nats-server" "--nodes" "3" "--nemesis" "strobe"]))))
    (is (= #{:strobe :snapshot} (v (cli/parse-args ["--server" "weft" "--nodes" "3" "--nemesis" "strobe,snapshot"]))))))

(deftest snapshot-copy-puts-back-the-old-files
  (let [copy! #'nemesis/copy-tree!
        empty! #'nemesis/empty-dir!
        data (temp-dir-with {"s/raft/log" (range 50) "s/msgs/1.seg" (range 20) "meta" [1 2]})
        snap (temp-dir-with {"stale" [9]})
        old (read-all data)]
    (empty! snap)
    (is (= {:files 3 :bytes 72} (copy! data snap)))
    ;; the server goes on: a file grows, a new one appears, one is deleted
    (spit (java.io.File. data "s/raft/log") "longer now")
    (spit (java.io.File. data "s/msgs/2.seg") "new")
    (.delete (java.io.File. data "meta"))
    (is (not= old (read-all data)))
    (empty! data)
    (is (.isDirectory data) "the data directory itself stays (it may be a mount point)")
    (is (= [] (files/data-files data)))
    (copy! snap data)
    (is (= old (read-all data)) "after the restore the node has exactly the files of the copy")))

(deftest api-answers-of-peer-remove
  (let [answer #'weft.jepsen.client/api-answer]
    (is (= {:ok true} (answer "{\"type\":\"io.nats.jetstream.api.v1.stream_remove_peer_response\",\"success\":true}")))
    (is (= {:ok false :error "{\"code\":400,\"err_code\":10040,\"description\":\"peer not a member\"}"}
           (answer "{\"type\":\"io.nats.jetstream.api.v1.stream_remove_peer_response\",\"error\":{\"code\":400,\"err_code\":10040,\"description\":\"peer not a member\"}}")))))

(deftest snapshot-kill-leaves-a-stale-majority
  (doseq [[nodes seed] [[five 3] [five 8] [(hosts/nodes 3) 3]]]
    (let [s (nemesis/schedule {:faults #{:snapshot-kill} :nodes nodes :interval 5 :time-limit 200 :seed seed})
          minority (set (nemesis/damaged-minority nodes seed))]
      (is (seq s))
      (doseq [{[x :as rolled] :nodes :keys [paused kill]} s]
        (is (= 1 (count rolled)))
        (is (minority x) "the rolled back node is of the damaged minority")
        (is (= (set nodes) (into (set (cons x paused)) kill)) "rolled back, paused and killed cover the cluster")
        (is (empty? (filter (set paused) kill)))
        (is (< (count kill) (count (cons x paused))) "the stale side (rolled back + paused) is the majority")
        (is (= (count paused) (nemesis/minority-size (count nodes))))))))
