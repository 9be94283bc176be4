(ns weft.jepsen.queue
  "The queue workload: publishers enqueue unique values with synchronous JetStream publish,
  readers dequeue with fetch and ack; after the nemesis phase a final drain reads until every
  acknowledged value has been seen or the drain time is over. Checked by sim's QueueChecker
  (Java interop), plus lost values per node of the publishing client."
  (:require [weft.jepsen.client :as client]
            [weft.jepsen.util :refer [log]])
  (:import (io.weft.sim.check Op Op$Type OpHistory QueueChecker)))

(defn- op-type [t]
  (case t :invoke Op$Type/INVOKE :ok Op$Type/OK :fail Op$Type/FAIL :info Op$Type/INFO))

(defn op-history
  "sim's OpHistory from the client operations of a history (nemesis entries left out)."
  ^OpHistory [history]
  (let [h (OpHistory.)]
    (doseq [{:keys [process type f value time]} history
            :when (integer? process)]
      (.add h (Op. (int process) (op-type type) (name f) value (long time))))
    h))

(defn check
  "Counts as the issue asks: acked, read, lost, unexpected, duplicated, lost per node.
  valid? means at-least-once delivery: nothing acknowledged lost, nothing unexpected."
  [history]
  (let [report (QueueChecker/check (op-history history))
        node-of (into {} (for [{:keys [type f value node]} history
                               :when (and (= type :invoke) (= f :enqueue))]
                           [value node]))
        lost (vec (.lost report))
        reads (->> history (filter #(and (= :ok (:type %)) (= :dequeue (:f %)) (some? (:value %)))))]
    {:valid? (.atLeastOnce report)
     :acked-count (.acknowledged report)
     :indeterminate-count (.indeterminate report)
     :read-count (count (distinct (map :value reads)))
     :dequeue-count (.dequeued report)
     :lost-count (count lost)
     :lost (vec (take 50 lost))
     :unexpected-count (count (.unexpected report))
     :unexpected (vec (take 50 (.unexpected report)))
     :duplicated-count (count (.duplicated report))
     :recovered-count (count (.recovered report))
     :lost-per-node (into (sorted-map) (frequencies (map node-of lost)))}))

(defn worker
  "One worker's loop: role :publisher or :reader on its own connection, until the deadline or
  the shared op budget is spent. record! appends a history entry and returns it."
  [{:keys [timeout-ms op-interval-ms]} {:keys [id node url role]} next-value deadline budget record! stop?]
  (let [conn (loop [tries 0]
               (let [c (try (client/connect url timeout-ms) (catch Exception e e))]
                 (if (and (instance? Exception c) (< tries 20) (not (stop?)))
                   (do (Thread/sleep 500) (recur (inc tries)))
                   c)))]
    (if (instance? Exception conn)
      (log "worker" id "could not connect to" node ":" (.getMessage ^Exception conn))
      (try
        (let [js (client/jetstream conn timeout-ms)
              sub (when (= role :reader) (atom nil))]
          (loop [process id]
            (when (and (< (System/nanoTime) deadline) (not (stop?))
                       (pos? (.getAndDecrement ^java.util.concurrent.atomic.AtomicLong budget)))
              (let [next-process
                    (case role
                      :publisher
                      (let [v (next-value)]
                        (record! {:process process :type :invoke :f :enqueue :value v :node node})
                        (let [r (client/enqueue! js v)]
                          (record! (merge {:process process :f :enqueue :value v :node node}
                                          (select-keys r [:type :error :message])))
                          (:type r)))
                      :reader
                      (do
                        (record! {:process process :type :invoke :f :dequeue :value nil :node node})
                        (let [r (try
                                  (when-not @sub (reset! sub (client/reader js)))
                                  (let [vs (client/dequeue! @sub 1 timeout-ms timeout-ms)]
                                    (if (seq vs)
                                      {:type :ok :value (first vs)}
                                      {:type :fail :error :empty}))
                                  (catch Exception e
                                    (reset! sub nil)
                                    (assoc (client/classify e) :type :fail)))]
                          (record! (merge {:process process :f :dequeue :value nil :node node}
                                          (select-keys r [:type :value :error :message])))
                          (:type r))))]
                (Thread/sleep (long op-interval-ms))
                ;; as in Jepsen, a process whose operation is indeterminate is retired
                (recur (if (= next-process :info) (+ process 1000) process))))))
        (catch Exception e (log "worker" id "stopped:" (str e)))
        (finally (try (.close conn) (catch Exception _ nil)))))))

(defn drain!
  "Reads from every node in turn until every acked value is seen or drain-s seconds pass."
  [{:keys [timeout-ms drain-s]} urls history-atom record!]
  (let [deadline (+ (System/nanoTime) (* drain-s 1000000000))
        acked (fn [] (set (for [{:keys [type f value]} @history-atom
                                :when (and (= type :ok) (= f :enqueue))] value)))
        seen (fn [] (set (for [{:keys [type f value]} @history-atom
                               :when (and (= type :ok) (= f :dequeue) (some? value))] value)))
        conns (vec (for [[node url] urls]
                     [node (try (client/connect url timeout-ms) (catch Exception _ nil))]))
        subs (atom {})]
    (try
      (loop [i 0 empty-rounds 0]
        (let [missing (count (remove (seen) (acked)))]
          (cond
            (and (zero? missing) (>= empty-rounds (count conns)))
            (log "drain: every acked value read")
            (> (System/nanoTime) deadline)
            (log "drain: time is up with" missing "acked values unread")
            :else
            (let [[node ^io.nats.client.Connection c] (nth conns (mod i (count conns)))
                  process (+ 900000 i)
                  got (try
                        (when c
                          (let [sub (or (@subs node)
                                        (get (swap! subs assoc node
                                                    (client/reader (client/jetstream c timeout-ms))) node))]
                            (client/dequeue! sub 100 1000 timeout-ms)))
                        (catch Exception e (swap! subs dissoc node) nil))]
              ;; each delivered message is recorded as its own dequeue
              (doseq [[k v] (map-indexed vector got)]
                (record! {:process (+ process (* 1000 k)) :type :invoke :f :dequeue :value nil :node node :drain true})
                (record! {:process (+ process (* 1000 k)) :type :ok :f :dequeue :value v :node node :drain true}))
              (recur (inc i) (if (seq got) 0 (inc empty-rounds)))))))
      (finally
        (doseq [[_ c] conns :when c] (try (.close ^io.nats.client.Connection c) (catch Exception _ nil)))))))
