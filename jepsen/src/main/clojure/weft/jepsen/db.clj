(ns weft.jepsen.db
  "DB lifecycle: per node config, start in the node's namespace, wait ready, kill -9, SIGSTOP,
  SIGCONT, restart. Logs and data directories live in the run's store folder."
  (:require [clojure.string :as str]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.util :refer [sh sh! log]])
  (:import (java.io File)
           (java.lang ProcessBuilder$Redirect)
           (java.net URI)
           (java.net.http HttpClient HttpRequest HttpResponse$BodyHandlers)
           (java.time Duration)))

(def client-port 4222)
(def cluster-port 6222)
(def http-port 8222)

(defn node-dir ^File [store node] (File. (str store) (str node)))

(defn config
  "nats-server configuration text for one node of the cluster (also weft's format)."
  [{:keys [nodes sync-interval store]} node]
  (let [dir (node-dir store node)]
    (str "server_name: \"" node "\"\n"
         "listen: \"" (hosts/ip node) ":" client-port "\"\n"
         "http: \"" (hosts/ip node) ":" http-port "\"\n"
         "jetstream {\n"
         "  store_dir: \"" (.getAbsolutePath (File. dir "data")) "\"\n"
         "  max_memory_store: 64MB\n"
         "  max_file_store: 1GB\n"
         (when sync-interval (str "  sync_interval: \"" sync-interval "\"\n"))
         "}\n"
         "cluster {\n"
         "  name: \"wj\"\n"
         "  listen: \"" (hosts/ip node) ":" cluster-port "\"\n"
         "  routes: [\n"
         (str/join (for [n nodes :when (not= n node)]
                     (str "    \"nats://" (hosts/ip n) ":" cluster-port "\"\n")))
         "  ]\n"
         "}\n")))

(defonce ^:private procs (atom {}))   ; node -> java.lang.Process

(defn start!
  "Starts the node's server in its namespace, output appended to <store>/<node>/server.log."
  [{:keys [server-bin store] :as test} node]
  (let [dir (node-dir store node)
        conf (File. dir "server.conf")]
    (.mkdirs dir)
    (spit conf (config test node))
    (let [pb (doto (ProcessBuilder. ^java.util.List
                     ["ip" "netns" "exec" (hosts/netns node) (str server-bin) "-c" (str conf)])
               (.redirectErrorStream true)
               (.redirectOutput (ProcessBuilder$Redirect/appendTo (File. dir "server.log"))))
          p (.start pb)]
      (swap! procs assoc node p)
      (log "started" node "pid" (.pid p))
      p)))

(defn running? [node]
  (when-let [^Process p (get @procs node)] (.isAlive p)))

(defn- signal! [node sig]
  (when-let [^Process p (get @procs node)]
    (when (.isAlive p) (sh "kill" sig (str (.pid p))))))

(defn kill! [node]
  (when-let [^Process p (get @procs node)]
    (signal! node "-9")
    (.waitFor p 5000 java.util.concurrent.TimeUnit/MILLISECONDS)))

(defn pause! [node] (signal! node "-STOP"))
(defn resume! [node] (signal! node "-CONT"))

(def ^:private http (delay (-> (HttpClient/newBuilder) (.connectTimeout (Duration/ofSeconds 1)) (.build))))

(defn healthy?
  "GET /healthz of the node answers 200 (JetStream current)."
  [node]
  (try
    (let [req (-> (HttpRequest/newBuilder (URI. (str "http://" (hosts/ip node) ":" http-port "/healthz")))
                  (.timeout (Duration/ofSeconds 2)) (.build))]
      (= 200 (.statusCode (.send ^HttpClient @http req (HttpResponse$BodyHandlers/discarding)))))
    (catch Exception _ false)))

(defn await-healthy!
  "Waits up to timeout-s for every node to be healthy; returns the nodes that are not."
  [nodes timeout-s]
  (let [deadline (+ (System/nanoTime) (* timeout-s 1000000000))]
    (loop []
      (let [bad (vec (remove healthy? nodes))]
        (if (or (empty? bad) (> (System/nanoTime) deadline))
          bad
          (do (Thread/sleep 250) (recur)))))))

(defn stop-all!
  "SIGCONT then SIGKILL every server this harness started."
  []
  (doseq [node (keys @procs)]
    (resume! node)
    (kill! node))
  (reset! procs {}))
