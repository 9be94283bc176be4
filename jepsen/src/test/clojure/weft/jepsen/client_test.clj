(ns weft.jepsen.client-test
  "The client against a real single nats-server 2.15.1 on free loopback ports (no namespaces, no
  root): outcomes of publish and fetch, and Jepsen's mapping of 503 and timeouts."
  (:require [clojure.test :refer [deftest is testing]]
            [weft.jepsen.client :as client]
            [weft.jepsen.kv :as kv])
  (:import (java.io File)
           (java.net ServerSocket)
           (java.nio.file Files)
           (java.nio.file.attribute FileAttribute)))

(defn- free-port [] (with-open [s (ServerSocket. 0)] (.getLocalPort s)))

(defn- server-bin []
  (let [f (File. (str (or (System/getenv "WEFT_HOME") "..") "/target/nats-server-unstable/usr/sbin/nats-server"))]
    (when (.canExecute f) f)))

(defn- with-server [f]
  (let [dir (.toFile (Files/createTempDirectory "wj-client" (make-array FileAttribute 0)))
        port (free-port)
        conf (File. dir "server.conf")]
    (spit conf (str "listen: \"127.0.0.1:" port "\"\njetstream { store_dir: \"" dir "/data\"\n sync_interval: \"always\" }\n"))
    (let [p (.start (doto (ProcessBuilder. ^java.util.List [(str (server-bin)) "-c" (str conf)])
                      (.redirectErrorStream true)
                      (.redirectOutput (File. dir "server.log"))))]
      (try
        (loop [i 0]
          (when (and (< i 100)
                     (not (try (with-open [_ (java.net.Socket. "127.0.0.1" (int port))] true)
                               (catch Exception _ false))))
            (Thread/sleep 100) (recur (inc i))))
        (f p (str "nats://127.0.0.1:" port))
        (finally
          (.destroyForcibly p)
          (.waitFor p))))))

(deftest outcomes-against-nats-server
  (if-not (server-bin)
    (is false "nats-server 2.15.1 missing under target/ (bin/fetch-nats-server)")
    (with-server
      (fn [^Process p url]
        (with-open [c (client/connect url 1000)]
          (let [js (client/jetstream c 1000)]
            (client/create-stream! c 1)
            (testing "an acknowledged publish is :ok and is read back by fetch"
              (is (= :ok (:type (client/enqueue! js 41))))
              (is (= :ok (:type (client/enqueue! js 42))))
              (let [sub (client/reader js)]
                (is (= [41 42] (client/dequeue! sub 10 1000 1000)))
                (is (= [] (client/dequeue! sub 10 300 1000)) "acked messages do not come again")))
            (testing "no stream on the subject: 503 no responders is a definite :fail"
              (let [r (client/enqueue! js "nostream.here" 7)]
                (is (= :fail (:type r)) (pr-str r))
                (is (= :no-responders (:error r)) (pr-str r))))
            (testing "a paused server: the publish times out, an indeterminate :info"
              (.waitFor (.start (ProcessBuilder. ^java.util.List ["kill" "-STOP" (str (.pid p))])))
              (try
                (let [r (client/enqueue! js 43)]
                  (is (= :info (:type r)) (pr-str r))
                  (is (= :timeout (:error r)) (pr-str r)))
                (finally
                  (.waitFor (.start (ProcessBuilder. ^java.util.List ["kill" "-CONT" (str (.pid p))]))))))))))))

(deftest kv-outcomes-against-nats-server
  (if-not (server-bin)
    (is false "nats-server 2.15.1 missing under target/ (bin/fetch-nats-server)")
    (with-server
      (fn [^Process p url]
        (with-open [c (client/connect url 1000)]
          (kv/create-bucket! c 1)
          (is (re-find #"KV_jk R1 history 1 allow_direct true" (kv/describe-bucket url 1000)))
          (let [h (kv/kv-handle c 1000)]
            (testing "an absent key reads nil"
              (is (= {:type :ok :value nil :revision 0} (kv/read! h "x"))))
            (testing "cas from nil creates; a second create from nil is a wrong revision, :fail"
              (is (= :ok (:type (kv/cas! h "x" 5 0))))
              (let [r (kv/cas! h "x" 6 0)]
                (is (= :fail (:type r)) (pr-str r))
                (is (= :wrong-revision (:error r)) (pr-str r))))
            (testing "write, read back value and revision, cas on that revision, a stale revision fails"
              (let [w (kv/write! h "x" 7)
                    r (kv/read! h "x")]
                (is (= :ok (:type w)))
                (is (= {:type :ok :value 7 :revision (:revision w)} r))
                (is (= :ok (:type (kv/cas! h "x" 8 (:revision r)))))
                (is (= 8 (:value (kv/read! h "x"))))
                (let [stale (kv/cas! h "x" 9 (:revision r))]
                  (is (= :fail (:type stale)) (pr-str stale))
                  (is (= :wrong-revision (:error stale))))
                (is (= 8 (:value (kv/read! h "x"))) "the failed cas did not apply")))
            (testing "a paused server: a write times out, :info"
              (.waitFor (.start (ProcessBuilder. ^java.util.List ["kill" "-STOP" (str (.pid p))])))
              (try
                (let [r (kv/write! h "x" 10)]
                  (is (= :info (:type r)) (pr-str r)))
                (finally
                  (.waitFor (.start (ProcessBuilder. ^java.util.List ["kill" "-CONT" (str (.pid p))]))))))))))))

(deftest kv-without-direct-get-against-nats-server
  (if-not (server-bin)
    (is false "nats-server 2.15.1 missing under target/ (bin/fetch-nats-server)")
    (with-server
      (fn [_ url]
        (with-open [c (client/connect url 1000)]
          (kv/create-bucket! c 1 false)
          (is (re-find #"KV_jk R1 history 1 allow_direct false" (kv/describe-bucket url 1000)))
          (testing "jnats sees a KV bucket and reads through the leader's STREAM.MSG.GET"
            (is (= ["jk"] (vec (.getBucketNames (.keyValueManagement c)))))
            (let [h (kv/kv-handle c 1000)
                  w (kv/write! h "y" 3)]
              (is (= :ok (:type w)))
              (is (= {:type :ok :value 3 :revision (:revision w)} (kv/read! h "y")))
              (is (= {:type :ok :value nil :revision 0} (kv/read! h "absent")))
              (is (= :ok (:type (kv/cas! h "y" 4 (:revision w)))))
              (is (= :wrong-revision (:error (kv/cas! h "y" 5 (:revision w))))))))))))
