(ns weft.jepsen.client
  "jnats clients from Clojure: one connection per worker, to one node only (discovered servers
  ignored, reconnects only to that node), operations bounded by a timeout, outcomes mapped as
  Jepsen does: a definite refusal (503 no responders, a JetStream API error) is :fail, a
  timeout or anything else we cannot be sure of is :info."
  (:require [clojure.string :as str])
  (:import (io.nats.client Nats Options Options$Builder Connection JetStream JetStreamOptions
                           JetStreamApiException JetStreamManagement PullSubscribeOptions
                           JetStreamSubscription Message ErrorListener)
           (io.nats.client.api StreamConfiguration StorageType DiscardPolicy ConsumerConfiguration
                               AckPolicy)
           (java.time Duration)
           (java.util.concurrent TimeoutException)))

(def stream "jq")
(def subject "jq")
(def durable "readers")

(defn connect
  "A connection to url only, with timeout-ms for connecting and for JetStream requests."
  ^Connection [url timeout-ms]
  (let [opts (-> (Options/builder)
                 (.server url)
                 (.ignoreDiscoveredServers)
                 (.noRandomize)
                 (.connectionTimeout (Duration/ofMillis timeout-ms))
                 (.maxReconnects -1)
                 (.reconnectWait (Duration/ofMillis 250))
                 (.useTimeoutException)
                 (.reportNoResponders)
                 (.errorListener (reify ErrorListener))
                 (.build))]
    (Nats/connect opts)))

(defn jetstream ^JetStream [^Connection c timeout-ms]
  (.jetStream c (-> (JetStreamOptions/builder) (.requestTimeout (Duration/ofMillis timeout-ms)) (.build))))

(defn- causes [^Throwable t] (take-while some? (iterate #(.getCause ^Throwable %) t)))

(defn classify
  "Jepsen's outcome for an operation that threw t: :fail when the server certainly did not do it,
  :info when it may have."
  [^Throwable t]
  (let [cs (causes t)
        msg (let [m (str/join " | " (map #(str (.getName (class %)) ": " (.getMessage ^Throwable %)) cs))]
              (subs m 0 (min 300 (count m))))]
    (cond
      (re-find #"(?i)\b503\b|no responders" msg) {:type :fail :error :no-responders :message msg}
      (some #(instance? JetStreamApiException %) cs) {:type :fail :error :api :message msg}
      (some #(instance? TimeoutException %) cs) {:type :info :error :timeout :message msg}
      (re-find #"(?i)time(d)? ?out" msg) {:type :info :error :timeout :message msg}
      :else {:type :info :error :unknown :message msg})))

(defn api-error-code
  "The JetStream API error code (err_code) of t or one of its causes, or nil."
  [^Throwable t]
  (some #(when (instance? JetStreamApiException %) (.getApiErrorCode ^JetStreamApiException %)) (causes t)))

(defn describe-stream
  "A one-line view of the queue stream as the server reports it: replicas, leader, replicas'
  names and the consumer's leader."
  [url timeout-ms]
  (try
    (with-open [c (connect url timeout-ms)]
      (let [jsm (.jetStreamManagement c)
            si (.getStreamInfo jsm stream)
            ci (.getClusterInfo si)
            cons (.getConsumerInfo jsm stream durable)
            cci (.getClusterInfo cons)]
        (str "R" (.getReplicas (.getConfiguration si))
             " leader " (when ci (.getLeader ci))
             " replicas " (when ci (vec (for [r (.getReplicas ci)] (.getName r))))
             "; consumer " durable " leader " (when cci (.getLeader cci)))))
    (catch Exception e (str "(stream info failed: " (.getMessage e) ")"))))

(defn create-stream!
  "The queue stream: file storage, replicas, discard new; and the readers' durable pull consumer."
  [^Connection c replicas]
  (let [jsm ^JetStreamManagement (.jetStreamManagement c)]
    (.addStream jsm (-> (StreamConfiguration/builder)
                        (.name stream)
                        (.subjects ^"[Ljava.lang.String;" (into-array String [subject]))
                        (.storageType StorageType/File)
                        (.replicas (int replicas))
                        (.discardPolicy DiscardPolicy/New)
                        (.build)))
    (.addOrUpdateConsumer jsm stream (-> (ConsumerConfiguration/builder)
                                         (.durable durable)
                                         (.filterSubject subject)
                                         (.ackPolicy AckPolicy/Explicit)
                                         (.ackWait (Duration/ofSeconds 5))
                                         (.build)))))

(defn enqueue!
  "Publishes value synchronously (to the queue's subject unless subj is given); returns a
  completion {:type :ok|:fail|:info ...}."
  ([js value] (enqueue! js subject value))
  ([^JetStream js ^String subj value]
  (try
    (let [ack (.publish js subj (.getBytes (str value) "UTF-8"))]
      {:type :ok :seq (.getSeqno ack)})
    (catch Exception e (classify e)))))

(defn reader ^JetStreamSubscription [^JetStream js]
  (.subscribe js ^String subject (PullSubscribeOptions/bind stream durable)))

(defn dequeue!
  "Fetches up to n messages within wait-ms and acks each; returns the values delivered (a
  message whose ack fails is still delivered: it will come again, as at-least-once allows)."
  [^JetStreamSubscription sub n wait-ms timeout-ms]
  (vec (for [^Message m (.fetch sub (int n) (Duration/ofMillis wait-ms))]
         (let [v (Long/parseLong (String. (.getData m) "UTF-8"))]
           (try (.ackSync m (Duration/ofMillis timeout-ms)) (catch Exception _ nil))
           v))))

(defn describe-state
  "A one-line view of the queue stream's and consumer's state as the node at url reports it
  (what the stream holds against what the consumer thinks it has delivered and acked), for the
  end of a run: a loss shows here as a stream without the messages, a stuck consumer as pending
  messages it does not deliver."
  [url timeout-ms]
  (try
    (with-open [c (connect url timeout-ms)]
      (let [jsm (.jetStreamManagement c)
            si (.getStreamInfo jsm stream)
            st (.getStreamState si)
            ci (.getClusterInfo si)
            cons (.getConsumerInfo jsm stream durable)]
        (str "stream leader " (when ci (.getLeader ci))
             " msgs " (.getMsgCount st) " seq " (.getFirstSequence st) ".." (.getLastSequence st)
             "; consumer delivered " (.getStreamSequence (.getDelivered cons))
             " ack floor " (.getStreamSequence (.getAckFloor cons))
             " pending " (.getNumPending cons) " ack pending " (.getNumAckPending cons)
             " redelivered " (.getRedelivered cons))))
    (catch Exception e (str "(state failed: " (.getMessage e) ")"))))

;; ---------------------------------------------------------------- membership (the member nemesis)

(defn stream-group
  "The queue stream's peer group as the server at url reports it: {:replicas n :leader name
  :group [sorted names] :current [names of members reported current]} (the leader is part of
  the group; jnats lists it apart from the other replicas)."
  [url timeout-ms]
  (with-open [c (connect url timeout-ms)]
    (let [si (.getStreamInfo (.jetStreamManagement c) stream)
          ci (.getClusterInfo si)
          others (when ci (vec (.getReplicas ci)))
          leader (when ci (.getLeader ci))]
      {:replicas (.getReplicas (.getConfiguration si))
       :leader leader
       :group (vec (sort (distinct (remove nil? (cons leader (map #(.getName ^io.nats.client.api.Replica %) others))))))
       :current (vec (sort (cons leader (for [^io.nats.client.api.Replica r others :when (.isCurrent r)] (.getName r)))))})))

(defn- api-answer
  "{:ok true} for an API answer with \"success\":true, else {:ok false :error <its error text>}."
  [^String body]
  (if (re-find #"\"success\"\s*:\s*true" body)
    {:ok true}
    {:ok false :error (or (second (re-find #"\"error\"\s*:\s*(\{[^}]*\})" body)) body)}))

(defn peer-remove!
  "$JS.API.STREAM.PEER.REMOVE.<stream> {\"peer\":peer} through the server at url: the meta
  leader replaces peer in the stream's group by a server its placement picks. {:ok ..} as api-answer."
  [url timeout-ms peer]
  (with-open [c (connect url timeout-ms)]
    (let [m (.request c (str "$JS.API.STREAM.PEER.REMOVE." stream)
                      (.getBytes (str "{\"peer\":\"" peer "\"}") "UTF-8")
                      (Duration/ofMillis timeout-ms))]
      (api-answer (String. (.getData m) "UTF-8")))))

(defn scale!
  "STREAM.UPDATE of the queue stream to n replicas, the rest of its configuration as it is."
  [url timeout-ms n]
  (with-open [c (connect url timeout-ms)]
    (let [jsm (.jetStreamManagement c)
          cfg (.getConfiguration (.getStreamInfo jsm stream))]
      (.updateStream jsm (-> (StreamConfiguration/builder cfg) (.replicas (int n)) (.build)))
      {:ok true})))
