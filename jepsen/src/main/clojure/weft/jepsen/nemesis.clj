(ns weft.jepsen.nemesis
  "Faults and their schedule. The schedule is a pure function of the options and the seed:
  every interval a fault starts, one interval later it is healed, then the cluster rests one
  interval. Faults: :kill (SIGKILL, healed by restart), :pause (SIGSTOP, healed by SIGCONT),
  :partition (one node cut off, or the cluster split into a minority and a majority half),
  :delay (netem delay on every node)."
  (:require [weft.jepsen.db :as db]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.util :refer [log]])
  (:import (java.util Random)))

(def all-faults #{:kill :pause :partition :delay})

(defn- shuffled [^Random rnd xs]
  (let [l (java.util.ArrayList. ^java.util.Collection (vec xs))]
    (java.util.Collections/shuffle l rnd)
    (vec l)))

(defn- pick [^Random rnd xs] (nth (vec xs) (.nextInt rnd (count xs))))

(defn minority-size [n] (quot (dec n) 2))

(defn- targets [rnd fault nodes]
  (let [n (count nodes)
        s (shuffled rnd nodes)]
    (case fault
      :kill (let [k (pick rnd [:one :minority :majority])]
              {:target k :nodes (vec (sort (take (case k :one 1 :minority (max 1 (minority-size n))
                                                     :majority (inc (quot n 2))) s)))})
      :pause (let [k (pick rnd [:one :minority])]
               {:target k :nodes (vec (sort (take (if (= k :one) 1 (max 1 (minority-size n))) s)))})
      :partition (let [k (pick rnd [:one :halves])
                       cut (if (= k :one) 1 (max 1 (minority-size n)))
                       minority (vec (sort (take cut s)))
                       majority (vec (sort (drop cut s)))]
                   {:target k :nodes minority :components [minority majority]
                    :grudge (hosts/grudge [minority majority])})
      :delay {:target :all :nodes (vec nodes) :delay-ms 50 :jitter-ms 25})))

(defn schedule
  "[{:at seconds :f :start|:stop :fault f ...}] for faults (a set); every stop falls before
  time-limit, so each fault is healed while the load still runs."
  [{:keys [faults nodes interval time-limit seed]}]
  (let [rnd (Random. (long seed))
        fs (vec (sort faults))]
    (if (empty? fs)
      []
      (loop [t interval out []]
        (if (>= (+ t interval) time-limit)
          out
          (let [fault (pick rnd fs)
                tg (targets rnd fault nodes)]
            (recur (+ t (* 2 interval))
                   (conj out (merge {:at t :f :start :fault fault} tg)
                         (merge {:at (+ t interval) :f :stop :fault fault} tg)))))))))

(defn apply-op!
  "Carries out one schedule entry against the running cluster."
  [test {:keys [f fault nodes grudge delay-ms jitter-ms]}]
  (case [f fault]
    [:start :kill] (doseq [n nodes] (db/kill! n))
    [:stop :kill] (doseq [n nodes] (when-not (db/running? n) (db/start! test n)))
    [:start :pause] (doseq [n nodes] (db/pause! n))
    [:stop :pause] (doseq [n nodes] (db/resume! n))
    [:start :partition] (hosts/partition! grudge)
    [:stop :partition] (hosts/heal! (:nodes test))
    [:start :delay] (hosts/delay! nodes delay-ms jitter-ms)
    [:stop :delay] (hosts/undelay! nodes)))

(defn heal-all!
  "Undoes every fault: heals partitions and delay, resumes paused and restarts dead servers."
  [test]
  (let [nodes (:nodes test)]
    (hosts/heal! nodes)
    (hosts/undelay! nodes)
    (doseq [n nodes]
      (db/resume! n)
      (when-not (db/running? n) (db/start! test n)))
    (log "nemesis: healed all")))
