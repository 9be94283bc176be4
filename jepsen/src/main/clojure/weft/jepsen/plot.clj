(ns weft.jepsen.plot
  "plot.html of a run: for each operation kind, every completed operation as a point at its
  invoke time and latency (log scale), coloured by outcome (ok, fail, info = timed out), with the
  nemesis windows shaded and named; below, ok completions per second. Plain SVG inside one HTML
  file, no library: open it in any browser."
  (:require [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.string :as str]))

(def colours {:ok "#2a9d3a" :fail "#c0392b" :info "#e08a00"})

(defn operations
  "Pairs each client invocation with its completion (a process has one operation outstanding at a
  time): [{:f :type :start-s :latency-ms}] in invoke order. An invocation never completed (the run
  ended first) is left out."
  [history]
  (loop [[e & more] history open {} out []]
    (cond
      (nil? e) (sort-by :start-s out)
      (= :nemesis (:process e)) (recur more open out)
      (= :invoke (:type e)) (recur more (assoc open (:process e) e) out)
      :else (if-let [inv (get open (:process e))]
              (recur more (dissoc open (:process e))
                     (conj out {:f (:f inv) :type (:type e) :start-s (/ (:time inv) 1e9)
                                :latency-ms (max 0.01 (/ (- (:time e) (:time inv)) 1e6))}))
              (recur more open out)))))

(defn nemesis-windows
  "[{:fault name :nodes [...] :from-s :to-s}] from the history's start-X / stop-X entries (a
  window still open at the end closes at end-s)."
  [history end-s]
  (let [nem (filter #(= :nemesis (:process %)) history)]
    (loop [[e & more] nem open {} out []]
      (if (nil? e)
        (into out (for [[_ w] open] (assoc w :to-s end-s)))
        (let [f (name (:f e))]
          (cond
            (str/starts-with? f "start-")
            (let [k [(subs f 6) (:value e)]]
              (recur more (assoc open k {:fault (subs f 6) :nodes (:value e) :from-s (/ (:time e) 1e9)}) out))
            (str/starts-with? f "stop-")
            (let [k [(subs f 5) (:value e)]]
              (if-let [w (get open k)]
                (recur more (dissoc open k) (conj out (assoc w :to-s (/ (:time e) 1e9))))
                (recur more open out)))
            :else (recur more open out)))))))

(defn- esc [s] (-> (str s) (str/replace "&" "&amp;") (str/replace "<" "&lt;") (str/replace ">" "&gt;")))

(def ^:private width 1000)
(def ^:private left 60)

(defn- x-of [t end-s] (double (+ left (* (- width left 20) (/ (double t) (max (double end-s) 1e-9))))))

(defn- windows-svg [windows end-s top height]
  (apply str
         (for [{:keys [fault nodes from-s to-s]} windows]
           (let [x1 (x-of from-s end-s) x2 (x-of to-s end-s)]
             (str "<rect class=\"nemesis\" x=\"" (format "%.1f" x1) "\" y=\"" top "\" width=\""
                  (format "%.1f" (max 1.0 (- x2 x1))) "\" height=\"" height "\" fill=\"#999\" fill-opacity=\"0.18\">"
                  "<title>" (esc fault) " " (esc (str/join "," nodes)) " " (format "%.1f-%.1f s" from-s to-s) "</title></rect>"
                  "<text x=\"" (format "%.1f" (+ x1 2)) "\" y=\"" (+ top 10) "\" font-size=\"9\" fill=\"#555\">"
                  (esc fault) "</text>")))))

(defn- latency-svg [f ops windows end-s]
  (let [h 220 top 20 bottom (+ top h)
        lo 0.1 hi 100000.0
        y-of (fn [ms] (let [v (/ (Math/log10 (/ (max lo (min hi (double ms))) lo)) (Math/log10 (/ hi lo)))]
                        (double (- bottom (* h v)))))]
    (str "<h2>" (esc (name f)) ": latency</h2>"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" width "\" height=\"" (+ bottom 30) "\">"
         (windows-svg windows end-s top h)
         (apply str (for [ms [0.1 1 10 100 1000 10000 100000]]
                      (str "<line x1=\"" left "\" x2=\"" (- width 20) "\" y1=\"" (format "%.1f" (y-of ms)) "\" y2=\""
                           (format "%.1f" (y-of ms)) "\" stroke=\"#ddd\"/>"
                           "<text x=\"4\" y=\"" (format "%.1f" (+ 3 (y-of ms))) "\" font-size=\"10\">"
                           (if (>= ms 1000) (str (long (/ ms 1000)) " s") (str ms " ms")) "</text>")))
         (apply str (for [{:keys [type start-s latency-ms]} ops]
                      (str "<circle class=\"op " (name type) "\" cx=\"" (format "%.1f" (x-of start-s end-s))
                           "\" cy=\"" (format "%.1f" (y-of latency-ms)) "\" r=\"1.6\" fill=\""
                           (colours type "#000") "\"/>")))
         "<text x=\"" left "\" y=\"" (+ bottom 20) "\" font-size=\"10\">0 s</text>"
         "<text x=\"" (- width 60) "\" y=\"" (+ bottom 20) "\" font-size=\"10\">" (format "%.0f s" end-s) "</text>"
         "</svg>")))

(defn- rate-svg [ops windows end-s]
  (let [h 120 top 20 bottom (+ top h)
        secs (long (Math/ceil end-s))
        per (frequencies (for [o ops :when (= :ok (:type o))]
                           (long (+ (:start-s o) (/ (:latency-ms o) 1000.0)))))
        peak (max 1 (apply max 0 (vals per)))
        pts (str/join " " (for [s (range 0 (inc secs))]
                            (format "%.1f,%.1f" (x-of s end-s) (double (- bottom (* h (/ (double (get per s 0)) peak)))))))]
    (str "<h2>ok completions per second (peak " peak ")</h2>"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" width "\" height=\"" (+ bottom 10) "\">"
         (windows-svg windows end-s top h)
         "<polyline class=\"rate\" fill=\"none\" stroke=\"#2a6fb0\" stroke-width=\"1.2\" points=\"" pts "\"/>"
         "</svg>")))

(defn html
  "The plot of a history (a sequence of its entries) as an HTML page."
  [history title]
  (let [history (vec history)
        end-s (/ (reduce max 0 (map :time history)) 1e9)
        ops (operations history)
        windows (nemesis-windows history end-s)
        kinds (sort (distinct (map :f ops)))
        counts (frequencies (map (juxt :f :type) ops))]
    (str "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" (esc title) "</title></head>"
         "<body style=\"font-family:sans-serif\"><h1>" (esc title) "</h1>"
         "<p>Each point is one operation at its invoke time; height is its latency. "
         "<span style=\"color:" (:ok colours) "\">ok</span>, <span style=\"color:" (:fail colours)
         "\">fail</span>, <span style=\"color:" (:info colours) "\">info (indeterminate)</span>. "
         "Grey bands: nemesis faults (hover for nodes and times).</p><ul>"
         (apply str (for [f kinds]
                      (str "<li>" (esc (name f)) ": ok " (counts [f :ok] 0) ", fail " (counts [f :fail] 0)
                           ", info " (counts [f :info] 0) "</li>")))
         "</ul>"
         (apply str (for [f kinds] (latency-svg f (filter #(= f (:f %)) ops) windows end-s)))
         (rate-svg ops windows end-s)
         "</body></html>")))

(defn read-history
  "The entries of a run's history.edn (one EDN map per line)."
  [file]
  (with-open [r (io/reader file)]
    (vec (for [line (line-seq r) :when (not (str/blank? line))] (edn/read-string line)))))

(defn plot!
  "Writes plot.html next to the run folder's history.edn; returns its path."
  [dir title]
  (let [out (io/file dir "plot.html")]
    (spit out (html (read-history (io/file dir "history.edn")) title))
    (str out)))
