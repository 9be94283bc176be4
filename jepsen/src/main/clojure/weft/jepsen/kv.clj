(ns weft.jepsen.kv
  "The KV register workload: a JetStream KV bucket (history 1, replicas as the test asks) whose
  keys are registers. Workers, each on its own connection to one node, run random read (kv.get,
  nil when absent), write (kv.put of a unique value) and cas (kv.update with the revision of the
  worker's own preceding read; kv.create when that read found nothing) on a few keys at a time.
  Checked for linearizability by sim's Linearizability with KeyedModel(RegisterModel).

  What the history claims is only what the client knows: an ok is an answer from the server; a
  refusal (503 no responders, a JetStream API error such as 10071 wrong last sequence) is a
  :fail, certainly not applied; a timeout or anything else is :info, maybe applied. The cas
  value is [expected new], where expected is what the read before it returned (unique values:
  revision r of a key holds exactly one value, so the server's revision check is the model's
  value check)."
  (:require [weft.jepsen.client :as client]
            [weft.jepsen.util :refer [log]])
  (:import (io.nats.client Connection JetStreamOptions KeyValue KeyValueManagement KeyValueOptions)
           (io.nats.client.api KeyValueConfiguration StorageType KeyValueEntry StreamConfiguration)
           (io.weft.sim.check KV KeyedModel Linearizability Linearizability$Result Linearizability$Verdict
                              Op Op$Type OpHistory Operation RegisterModel)
           (java.time Duration)
           (java.util Random)))

(def bucket "jk")

(def keys-at-a-time
  "How many keys the workers share at any moment."
  4)

(def ops-per-generation
  "Every this many operations the workers move on to fresh keys (as Jepsen's independent
  generator does), which keeps each key's history short enough for the checker."
  1000)

(defn key-for
  "The key of the n-th operation (n from a shared counter), drawn by rnd among the generation's keys."
  [n ^Random rnd]
  (str "g" (quot n ops-per-generation) "k" (.nextInt rnd keys-at-a-time)))

(defn create-bucket!
  "The bucket: file storage, history 1, replicas. With direct? (jnats's own bucket) allow_direct
  is on: each replica answers kv.get from its own store. Without, the bucket's stream is made
  from the same configuration jnats would send but with allow_direct off (not by a later stream
  update: weft does not update replicated streams yet), and jnats then reads with
  STREAM.MSG.GET, which only the stream's leader answers."
  ([c replicas] (create-bucket! c replicas true))
  ([^Connection c replicas direct?]
   (let [kvc (-> (KeyValueConfiguration/builder)
                 (.name bucket)
                 (.maxHistoryPerKey 1)
                 (.storageType StorageType/File)
                 (.replicas (int replicas))
                 (.build))]
     (if direct?
       (.create ^KeyValueManagement (.keyValueManagement c) kvc)
       (.addStream (.jetStreamManagement c)
                   (-> (StreamConfiguration/builder (.getBackingConfig kvc))
                       (.allowDirect false)
                       (.build)))))))

(defn describe-bucket
  "A one-line view of the bucket's stream as the server reports it; asks again for up to 15 s
  while the answer names no leader (a new R3 group may still be electing one, and until it has
  a leader the followers do not answer STREAM.INFO at all)."
  [url timeout-ms]
  (let [once #(try
                (with-open [c (client/connect url timeout-ms)]
                  (let [si (.getStreamInfo (.jetStreamManagement c) (str "KV_" bucket))
                        ci (.getClusterInfo si)
                        sc (.getConfiguration si)]
                    {:leader (when ci (.getLeader ci))
                     :line (str "KV_" bucket " R" (.getReplicas sc) " history " (.getMaxMsgsPerSubject sc)
                                " allow_direct " (.getAllowDirect sc)
                                " leader " (when ci (.getLeader ci))
                                " replicas " (when ci (vec (for [r (.getReplicas ci)] (.getName r)))))}))
                (catch Exception e {:line (str "(bucket info failed: " (.getMessage e) ")")}))
        until (+ (System/nanoTime) 15000000000)]
    (loop [r (once)]
      (if (or (:leader r) (> (System/nanoTime) until) (re-find #" R1 " (:line r)))
        (:line r)
        (do (Thread/sleep 500) (recur (once)))))))

(defn kv-handle ^KeyValue [^Connection c timeout-ms]
  ;; (the request timeout through JetStreamOptions: the builder's own setter is declared on a
  ;; class Clojure's reflector cannot call)
  (.keyValue c bucket (.build (KeyValueOptions/builder
                                ^JetStreamOptions (-> (JetStreamOptions/builder)
                                                      (.requestTimeout (Duration/ofMillis timeout-ms))
                                                      (.build))))))

(defn- parse-value [^bytes bs]
  (let [s (String. bs "UTF-8")]
    (try (Long/parseLong s) (catch NumberFormatException _ s))))

(defn read!
  "kv.get: {:type :ok :value v-or-nil :revision r} or a failure."
  [^KeyValue kv ^String k]
  (try
    (let [^KeyValueEntry e (.get kv k)]
      (if (nil? e)
        {:type :ok :value nil :revision 0}
        {:type :ok :value (some-> (.getValue e) parse-value) :revision (.getRevision e)}))
    (catch Exception e (client/classify e))))

(defn write!
  "kv.put of value: {:type :ok :revision r} or a failure."
  [^KeyValue kv ^String k value]
  (try
    {:type :ok :revision (.put kv k (.getBytes (str value) "UTF-8"))}
    (catch Exception e (client/classify e))))

(defn cas!
  "kv.update(k, value, revision) (kv.create when revision is 0: the key had no value). A wrong
  revision is the server's refusal (10071): :fail."
  [^KeyValue kv ^String k value revision]
  (try
    (let [bs (.getBytes (str value) "UTF-8")]
      {:type :ok :revision (if (zero? (long revision)) (.create kv k bs) (.update kv k bs (long revision)))})
    (catch Exception e
      (let [r (client/classify e)]
        (if (= 10071 (client/api-error-code e)) (assoc r :error :wrong-revision) r)))))

(defn worker
  "One worker's loop on its own connection until the deadline, the stop flag or the shared op
  budget. next-n gives unique numbers (operation numbers and values). A process whose operation
  ended :info is retired (a new process id continues), as in Jepsen."
  [{:keys [timeout-ms op-interval-ms]} {:keys [id node url]} next-n deadline budget record! stop? seed]
  (let [rnd (Random. (+ (long seed) (* 7919 (long id))))
        conn (loop [tries 0]
               (let [c (try (client/connect url timeout-ms) (catch Exception e e))]
                 (if (and (instance? Exception c) (< tries 20) (not (stop?)))
                   (do (Thread/sleep 500) (recur (inc tries)))
                   c)))]
    (if (instance? Exception conn)
      (log "worker" id "could not connect to" node ":" (.getMessage ^Exception conn))
      (try
        (let [kv (kv-handle conn timeout-ms)
              more? #(and (< (System/nanoTime) deadline) (not (stop?))
                          (pos? (.getAndDecrement ^java.util.concurrent.atomic.AtomicLong budget)))
              run (fn [process f k value thunk]
                    (record! {:process process :type :invoke :f f :key k :value value :node node})
                    (let [r (thunk)]
                      (record! (merge {:process process :f f :key k :node node
                                       :value (if (= f :read) (when (= :ok (:type r)) (:value r)) value)}
                                      (select-keys r [:type :revision :error :message])))
                      r))]
          (loop [process id]
            (when (more?)
              (let [k (key-for (next-n) rnd)
                    r (case (.nextInt rnd 3)
                        0 (run process :read k nil #(read! kv k))
                        1 (let [v (next-n)] (run process :write k v #(write! kv k v)))
                        2 (let [rd (run process :read k nil #(read! kv k))]
                            (if (and (= :ok (:type rd)) (more?))
                              (let [v (next-n)]
                                (run process :cas k [(:value rd) v] #(cas! kv k v (:revision rd))))
                              rd)))]
                (Thread/sleep (long op-interval-ms))
                (recur (if (= :info (:type r)) (+ process 1000) process))))))
        (catch Exception e (log "worker" id "stopped:" (str e)))
        (finally (try (.close ^Connection conn) (catch Exception _ nil)))))))

;; ---------------------------------------------------------------- checker glue

(defn- op-type [t]
  (case t :invoke Op$Type/INVOKE :ok Op$Type/OK :fail Op$Type/FAIL :info Op$Type/INFO))

(defn client-ops
  "The kv client entries of a history, in order (nemesis entries and other workloads' left out)."
  [history]
  (filterv #(and (integer? (:process %)) (#{:read :write :cas} (:f %))) history))

(defn op-history
  "sim's OpHistory as the simulator feeds the checker: every event's value is KV(key, value);
  a read's invoke has value nil and its ok the value read; a write's value is the value written;
  a cas's [expected new]."
  ^OpHistory [entries]
  (let [h (OpHistory.)]
    (doseq [{:keys [process type f key value time]} entries]
      (.add h (Op. (int process) (op-type type) (name f) (KV. key value) (long (or time 0)))))
    h))

(defn- counts [entries]
  (into (sorted-map)
        (for [[f es] (group-by :f entries)]
          [f (merge {:ok 0 :fail 0 :info 0}
                    (frequencies (map :type (remove #(= :invoke (:type %)) es))))])))

(defn- entry-of
  "The history entries (invoke and completion) of a checker operation: its call and ret are
  indexes into the client entries."
  [entries ^Operation o]
  (let [n (count entries)
        at #(when (and (<= 0 %) (< % n)) (nth entries %))]
    (vec (keep at [(.call o) (.ret o)]))))

(defn check
  "Linearizability of the kv history with KeyedModel(RegisterModel). valid? only when
  LINEARIZABLE and at least one operation ok (an empty history proves nothing); UNKNOWN (the
  step budget ran out) is not valid."
  ([history] (check history Linearizability/DEFAULT_MAX_STEPS))
  ([history max-steps]
   (let [entries (client-ops history)
         oh (op-history entries)
         ^Linearizability$Result r (Linearizability/check (KeyedModel. (RegisterModel.))
                                                          (.operations oh) (long max-steps))
         verdict (.verdict r)
         ok-count (count (filter #(= :ok (:type %)) entries))
         ;; a run whose workers never got an answer checked nothing: not valid
         base {:valid? (and (= verdict Linearizability$Verdict/LINEARIZABLE) (pos? ok-count))
               :ok-count ok-count
               :verdict (keyword (.name verdict))
               :steps (.steps r)
               :ops (counts entries)
               :keys (count (distinct (map :key entries)))}]
     (if (= verdict Linearizability$Verdict/NOT_LINEARIZABLE)
       (let [stuck (.stuck r)
             lin (vec (.linearization r))]
         (assoc base
                :stuck (str stuck)
                :stuck-entries (when stuck (entry-of entries stuck))
                :key (when stuck (KeyedModel/keyOf stuck))
                :linearized-count (count lin)
                :linearized-tail (mapv str (take-last 12 lin))
                :part-count (count (.part r))))
       base))))
