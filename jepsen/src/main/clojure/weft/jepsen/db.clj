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
  "Configuration text for one node of the cluster: nats-server's format, which weft reads too
  (server_name, listen, http, jetstream {store_dir, sync_interval when given}, cluster {name,
  listen, routes to every other node})."
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

(defn command
  "The command line that starts one node's server: nats-server takes the config file directly,
  weft (bin/weft, which execs the JVM, so the process is the server itself) as `serve -c`."
  [{:keys [server server-bin]} conf]
  (case (or server "nats-server")
    "nats-server" [(str server-bin) "-c" (str conf)]
    "weft" [(str server-bin) "serve" "-c" (str conf)]))

(def weft-java-opts
  "JVM options of each weft node (WEFT_JAVA_OPTS of bin/weft) unless WEFT_JEPSEN_SERVER_JAVA_OPTS
  says otherwise: five JVMs and the harness share this machine."
  (or (System/getenv "WEFT_JEPSEN_SERVER_JAVA_OPTS") "-Xmx384m -XX:+UseSerialGC"))

(defn clock-offset-file
  "The file whose milliseconds offset the node's wall clock (weft's test-only
  WEFT_TEST_CLOCK_OFFSET_FILE, re-read every 100 ms; absent means 0)."
  ^File [store node]
  (File. (node-dir store node) "clock-offset"))

(defn set-clock-offset!
  "Offsets node's wall clock by ms (0 puts it back)."
  [{:keys [store]} node ms]
  (spit (clock-offset-file store node) (str (long ms) "\n")))

(defn start!
  "Starts the node's server in its namespace, output appended to <store>/<node>/server.log."
  [{:keys [store server] :as test} node]
  (let [dir (node-dir store node)
        conf (File. dir "server.conf")]
    (.mkdirs dir)
    (spit conf (config test node))
    (let [pb (doto (ProcessBuilder. ^java.util.List
                     (into ["ip" "netns" "exec" (hosts/netns node)] (command test conf)))
               (.redirectErrorStream true)
               (.redirectOutput (ProcessBuilder$Redirect/appendTo (File. dir "server.log"))))
          _ (when (= "weft" server)
              (.put (.environment pb) "WEFT_JAVA_OPTS" weft-java-opts)
              (when (:clock-offsets test)
                (.put (.environment pb) "WEFT_TEST_CLOCK_OFFSET_FILE" (str (clock-offset-file store node)))))
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

(declare drop-unsynced!)

(defn crash!
  "SIGKILL; with --lazyfs the node also loses every write it had not fsynced (a power loss)."
  [test node]
  (kill! node)
  (when (:lazyfs test) (drop-unsynced! test node)))

(defn pause! [node] (signal! node "-STOP"))

;; ---------------------------------------------------------------- lost unsynced writes (weft-lazyfs)

(defn lazyfs-bin
  "The FUSE layer that holds file data until fsync (jepsen/lazyfs/weft-lazyfs)."
  []
  (str (or (System/getenv "WEFT_HOME") ".") "/jepsen/lazyfs/weft-lazyfs"))

(defonce ^:private mounts (atom {}))   ; node -> the weft-lazyfs java.lang.Process

(defn- proc-mounts
  "The lines of /proc/mounts (read with readAllLines: slurp's available() fails on proc files)."
  []
  (vec (java.nio.file.Files/readAllLines (.toPath (File. "/proc/mounts")))))

(defn- mounted? [^File dir]
  (let [path (.getAbsolutePath dir)]
    (some #(= path (second (str/split % #" "))) (proc-mounts))))

(defn mount-lazyfs!
  "Mounts the node's data directory through weft-lazyfs (its durable bytes in <node>/data-synced),
  so that crash! can drop what the server wrote and never fsynced."
  [{:keys [store]} node]
  (let [dir (node-dir store node)
        backing (File. dir "data-synced")
        mount (File. dir "data")]
    (.mkdirs backing)
    (.mkdirs mount)
    (let [p (-> (doto (ProcessBuilder. ^java.util.List [(lazyfs-bin) (str backing) (str mount)])
                  (.redirectErrorStream true)
                  (.redirectOutput (ProcessBuilder$Redirect/appendTo (File. dir "lazyfs.log"))))
                (.start))]
      (swap! mounts assoc node p)
      (loop [i 0]
        (cond
          (mounted? mount) (log "lazyfs: mounted" node "data (synced bytes in data-synced)")
          (or (not (.isAlive p)) (> i 200))
          (throw (ex-info (str "weft-lazyfs did not mount " mount ": " (slurp (File. dir "lazyfs.log"))) {}))
          :else (do (Thread/sleep 50) (recur (inc i))))))))

(defn drop-unsynced!
  "The power loss: the node's weft-lazyfs forgets every write and truncation not yet fsynced."
  [{:keys [store]} node]
  (when (get @mounts node)
    (let [ctl (File. (File. (node-dir store node) "data") ".lazyfs-control")]
      (spit ctl "drop")
      (log "lazyfs:" node (str/trim (slurp ctl)) "files' unsynced writes"))))

(defn unmount-all!
  "Unmounts every weft-lazyfs this harness mounted, and any left by an earlier run (clean)."
  []
  (doseq [line (proc-mounts)
          :let [[src path] (str/split line #" ")]
          :when (= src "weft-lazyfs")]
    (when-not (zero? (:exit (sh "fusermount" "-u" path)))
      (sh "fusermount" "-u" "-z" path)))
  (doseq [[_ ^Process p] @mounts]
    (when-not (.waitFor p 5000 java.util.concurrent.TimeUnit/MILLISECONDS)
      (.destroyForcibly p)))
  (reset! mounts {}))
(defn resume! [node] (signal! node "-CONT"))

(def ^:private http (delay (-> (HttpClient/newBuilder) (.connectTimeout (Duration/ofSeconds 1)) (.build))))

(defn healthy?
  "GET /healthz of the node answers 200: JetStream current (nats-server), and in a weft cluster
  a meta leader known and no stream that cannot store (weft answers 503 \"JetStream has not
  established contact with a meta leader\" until the meta group has elected one)."
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

(defn- http-get
  "The body of GET path on the node's monitoring port, or a line saying why there is none."
  [node path]
  (try
    (let [req (-> (HttpRequest/newBuilder (URI. (str "http://" (hosts/ip node) ":" http-port path)))
                  (.timeout (Duration/ofSeconds 5)) (.build))
          resp (.send ^HttpClient @http req (HttpResponse$BodyHandlers/ofString))]
      (str "HTTP " (.statusCode resp) "\n" (.body resp)))
    (catch Exception e (str "(no answer: " (.getMessage e) ")"))))

(defn record-end-state!
  "Keeps what each running node says of itself at the end of a run, for a finding's analysis:
  <node>/end-state.txt with its /healthz?details=true and /jsz (streams, consumers, raft), and
  for weft <node>/threads.txt, a dump of every thread, virtual ones included (jcmd of the
  harness's own JDK)."
  [{:keys [store server]} nodes]
  (doseq [node nodes :when (running? node)]
    (let [dir (node-dir store node)]
      (spit (File. dir "end-state.txt")
            (str "GET /healthz?details=true\n" (http-get node "/healthz?details=true")
                 "\n\nGET /jsz?streams=true&consumers=true&raft=true\n"
                 (http-get node "/jsz?streams=true&consumers=true&raft=true") "\n"))
      (when (= "weft" server)
        (let [jcmd (File. (System/getProperty "java.home") "bin/jcmd")
              out (File. dir "threads.txt")
              ^Process p (get @procs node)]
          (when (and (.canExecute jcmd) p)
            (try
              (let [r (sh (str jcmd) (str (.pid p)) "Thread.dump_to_file" "-format=text" (str out))]
                (when-not (.exists out) (log "thread dump of" node "failed:" r)))
              (catch Exception e (log "thread dump of" node "failed:" (.getMessage e))))))))))

(defn stop-all!
  "SIGCONT then SIGKILL every server this harness started."
  []
  (doseq [node (keys @procs)]
    (resume! node)
    (kill! node))
  (reset! procs {}))
