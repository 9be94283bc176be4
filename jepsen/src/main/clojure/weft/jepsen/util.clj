(ns weft.jepsen.util
  "Shell commands with a time bound, logging, small helpers."
  (:import (java.util.concurrent TimeUnit)
           (java.time Instant)))

(defn log [& xs]
  (locking *out*
    (println (str (Instant/now)) (apply str (interpose " " xs)))
    (flush)))

(defn sh
  "Runs a command (strings), waits at most timeout-ms (default 15 s), returns
  {:exit :out :cmd}; a command still running at the bound is killed and gets :exit -1."
  [& args]
  (let [[opts args] (if (map? (first args)) [(first args) (rest args)] [{} args])
        timeout (:timeout-ms opts 15000)
        pb (doto (ProcessBuilder. ^java.util.List (mapv str args))
             (.redirectErrorStream true))
        p (.start pb)
        out (future (slurp (.getInputStream p)))]
    (if (.waitFor p timeout TimeUnit/MILLISECONDS)
      {:exit (.exitValue p) :out (deref out 2000 "") :cmd args}
      (do (.destroyForcibly p)
          {:exit -1 :out (str "timed out after " timeout " ms") :cmd args}))))

(defn sh!
  "As sh, but throws when the command fails."
  [& args]
  (let [r (apply sh args)]
    (when-not (zero? (:exit r))
      (throw (ex-info (str "command failed: " (clojure.string/join " " (:cmd r)) ": " (:out r)) r)))
    r))

(defn sleep-until
  "Sleeps until System/nanoTime reaches t (ns), in slices, or returns early when (stop?) is true."
  [t stop?]
  (loop []
    (let [left (- t (System/nanoTime))]
      (when (and (pos? left) (not (stop?)))
        (Thread/sleep (long (max 1 (min 200 (quot left 1000000)))))
        (recur)))))
