(ns weft.jepsen.pure-test
  "The parts of the harness that need no root and no server: fault schedule, partition grudges,
  node configuration, option parsing, and the checker glue over sim's QueueChecker."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [weft.jepsen.cli :as cli]
            [weft.jepsen.db :as db]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.nemesis :as nemesis]
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
