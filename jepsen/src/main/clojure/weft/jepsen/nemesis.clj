(ns weft.jepsen.nemesis
  "Faults and their schedule. The schedule is a pure function of the options and the seed:
  every interval a fault starts, one interval later it is healed, then the cluster rests one
  interval. Faults: :kill (SIGKILL, healed by restart), :pause (SIGSTOP, healed by SIGCONT),
  :partition (one node cut off, or the cluster split into a minority and a majority half),
  :bridge (two halves that cannot reach each other and one node that reaches both: every majority
  goes through it), :one-way (one node cannot hear the others but they hear it, or the reverse),
  :clock (the wall clock of one node or a minority jumps by 0.2 s to 10 min, ahead or behind;
  weft only, through its test-only clock offset file; healed by setting it back), the
  composites :partition-kill (a minority cut off and one node of the majority killed, so no side
  has a quorum until the heal, which restarts the node and heals the cut: a new majority must
  form) and :pause-kill (a minority paused and one other node killed, the same shape with
  SIGSTOP), :delay (netem delay on every node), and the file faults :bitflip and :truncate: SIGKILL, damage
  the node's data files (weft.jepsen.files), restart at once, so the node runs on what is left
  for the fault's interval. File faults only ever hit one fixed minority of the nodes, drawn from
  the seed before the schedule, so a majority keeps intact copies, as in Jepsen's NATS runs.
  :snapshot copies the data directory of a node of that same minority while it runs and, at the
  heal, SIGKILLs it, puts the old copy back and restarts it: the node returns with stale state
  (what it had acknowledged or voted for since the copy forgotten). :strobe (weft only) flips the
  wall clock of one node or a minority between an offset and none every few hundred milliseconds
  for the fault's interval. :member changes the queue stream's peer group while the load runs: a
  peer remove of one of its replicas (drawn when the fault starts from the group as the servers
  report it), so a spare server takes its place, or a scale up by one replica, scaled back at the
  heal; it needs a spare (--replicas below --nodes). The composite :snapshot-kill aims the
  rollback where Raft cannot see it: a copy of one node's data is taken while a minority of the
  others is paused (so every write committed meanwhile is on the rest), then the copy is put
  back, the paused nodes resumed and every other node SIGKILLed for a few seconds: the rolled
  back node and the paused ones are a majority that has never seen those writes."
  (:require [weft.jepsen.client :as client]
            [weft.jepsen.db :as db]
            [weft.jepsen.files :as files]
            [weft.jepsen.hosts :as hosts]
            [weft.jepsen.util :refer [log]])
  (:import (java.io File)
           (java.util Random)))

(def file-faults #{:bitflip :truncate})

(def minority-faults
  "The faults that only ever hit the fixed damaged minority: the file faults and snapshot/restore
  (:snapshot-kill's rolled back node too)."
  (conj file-faults :snapshot))

(def partition-faults #{:partition :bridge :one-way})

(def composite-faults #{:partition-kill :pause-kill :snapshot-kill})

(def clock-faults #{:clock :strobe})

(def all-faults (-> #{:kill :pause :delay :member} (into clock-faults) (into partition-faults)
                    (into composite-faults) (into minority-faults)))

(def clock-jumps-ms
  "The sizes of a clock fault's jump: from a fraction of a second (inside Raft's timeouts) to ten
  minutes (past any timeout and many max_age settings)."
  [200 2000 30000 600000])

(defn bridge-grudge
  "The bridge over nodes (in the order given): the first node reaches everyone; the others split
  into two halves, each of which drops the other half."
  [[bridge & others]]
  (let [half (quot (count others) 2)
        a (vec (sort (take half others)))
        b (vec (sort (drop half others)))]
    {:nodes [bridge] :components [(vec (sort (conj a bridge))) (vec (sort (conj b bridge)))]
     :grudge (merge (zipmap a (repeat b)) (zipmap b (repeat a)))}))

(defn one-way-grudge
  "victim cannot hear the others (:in; it still sends) or the others cannot hear it (:out)."
  [victim others dir]
  (let [others (vec (sort others))]
    {:nodes [victim]
     :grudge (if (= dir :in) {victim others} (zipmap others (repeat [victim])))}))

(defn- shuffled [^Random rnd xs]
  (let [l (java.util.ArrayList. ^java.util.Collection (vec xs))]
    (java.util.Collections/shuffle l rnd)
    (vec l)))

(defn- pick [^Random rnd xs] (nth (vec xs) (.nextInt rnd (count xs))))

(defn minority-size [n] (quot (dec n) 2))

(defn damaged-minority
  "The nodes file faults may hit during a run of this seed: a minority, the same for the whole
  run (drawn from its own generator, so adding file faults does not change the other faults'
  schedule for a seed)."
  [nodes seed]
  (vec (sort (take (max 1 (minority-size (count nodes)))
                   (shuffled (Random. (bit-xor (long seed) 0x5eedf11e)) nodes)))))

(defn- targets [rnd fault nodes damageable lazyfs]
  (let [n (count nodes)
        s (shuffled rnd nodes)]
    (case fault
      (:bitflip :truncate) (let [k (pick rnd [:one :minority])
                                 d (shuffled rnd damageable)]
                             {:target k :nodes (vec (sort (take (if (= k :one) 1 (count d)) d)))
                              :damage-seed (.nextLong rnd)})
      :kill (let [k (pick rnd (if lazyfs [:one :minority :majority :all] [:one :minority :majority]))]
              {:target k :nodes (vec (sort (take (case k :one 1 :minority (max 1 (minority-size n))
                                                     :majority (inc (quot n 2)) :all n) s)))})
      :pause (let [k (pick rnd [:one :minority])]
               {:target k :nodes (vec (sort (take (if (= k :one) 1 (max 1 (minority-size n))) s)))})
      :partition (let [k (pick rnd [:one :halves])
                       cut (if (= k :one) 1 (max 1 (minority-size n)))
                       minority (vec (sort (take cut s)))
                       majority (vec (sort (drop cut s)))]
                   {:target k :nodes minority :components [minority majority]
                    :grudge (hosts/grudge [minority majority])})
      :bridge (merge {:target :bridge} (bridge-grudge s))
      :one-way (let [dir (pick rnd [:in :out])]
                 (merge {:target dir} (one-way-grudge (first s) (rest s) dir)))
      :clock (let [k (pick rnd [:one :minority])]
               {:target k :nodes (vec (sort (take (if (= k :one) 1 (max 1 (minority-size n))) s)))
                :offset-ms (* (pick rnd [-1 1]) (pick rnd clock-jumps-ms))})
      :partition-kill (let [cut (max 1 (minority-size n))
                            minority (vec (sort (take cut s)))
                            majority (vec (sort (drop cut s)))
                            killed (pick rnd majority)]
                        {:target :partition-kill :nodes minority :kill [killed] :components [minority majority]
                         :grudge (hosts/grudge [minority majority])})
      :pause-kill (let [cut (max 1 (minority-size n))
                        paused (vec (sort (take cut s)))
                        killed (nth s cut)]
                    {:target :pause-kill :nodes paused :kill [killed]})
      :snapshot (let [k (pick rnd [:one :minority])
                      d (shuffled rnd damageable)]
                  {:target k :nodes (vec (sort (take (if (= k :one) 1 (count d)) d)))})
      :strobe (let [k (pick rnd [:one :minority])]
                {:target k :nodes (vec (sort (take (if (= k :one) 1 (max 1 (minority-size n))) s)))
                 :offset-ms (* (pick rnd [-1 1]) (pick rnd [200 2000 30000]))
                 :period-ms (pick rnd [150 300 700])})
      :snapshot-kill (let [x (pick rnd damageable)
                           rest-nodes (shuffled rnd (remove #{x} nodes))
                           paused (vec (sort (take (max 1 (minority-size n)) rest-nodes)))]
                       {:target :snapshot-kill :nodes [x] :paused paused
                        :kill (vec (sort (remove (set (cons x paused)) nodes)))})
      :member {:target (pick rnd [:peer-remove :grow]) :pick (bit-and (.nextLong rnd) Long/MAX_VALUE)}
      :delay {:target :all :nodes (vec nodes) :delay-ms 50 :jitter-ms 25})))

(defn schedule
  "[{:at seconds :f :start|:stop :fault f ...}] for faults (a set); every stop falls before
  time-limit, so each fault is healed while the load still runs. With lazyfs a kill may also hit
  every node at once (the coordinated power loss)."
  [{:keys [faults nodes interval time-limit seed lazyfs]}]
  (let [rnd (Random. (long seed))
        fs (vec (sort faults))
        damageable (damaged-minority nodes seed)]
    (if (empty? fs)
      []
      (loop [t interval out []]
        (if (>= (+ t interval) time-limit)
          out
          (let [fault (pick rnd fs)
                tg (targets rnd fault nodes damageable lazyfs)]
            (recur (+ t (* 2 interval))
                   (conj out (merge {:at t :f :start :fault fault} tg)
                         (merge {:at (+ t interval) :f :stop :fault fault} tg)))))))))

(defn- damage!
  "SIGKILL each node, damage its data files, start it again. Returns {:damage [...]} naming
  every change, for the history."
  [test fault nodes seed]
  {:damage
   (vec (for [[i node] (map-indexed vector nodes)
              :let [_ (db/kill! node)
                    dir (File. (db/node-dir (:store test) node) "data")
                    s (+ (long seed) i)
                    done (case fault
                           :bitflip (files/bitflip! dir (:file-pattern test) s)
                           :truncate (files/truncate! dir (:file-pattern test) s))
                    _ (log "nemesis:" (name fault) node (pr-str done))
                    _ (db/start! test node)]
              d done]
          (assoc d :node node)))})

;; ---------------------------------------------------------------- snapshot / restore

(defn- copy-tree!
  "Copies every regular file under from to the same relative path under to; a file that vanishes
  while the copy runs (the server deletes or renames it) is skipped. Returns {:files n :bytes b}."
  [^File from ^File to]
  (let [root (.toPath from)
        n (atom 0) b (atom 0)]
    (doseq [^File f (file-seq from) :when (.isFile f)]
      (let [dst (.resolve (.toPath to) (.relativize root (.toPath f)))]
        (try
          (java.nio.file.Files/createDirectories (.getParent dst) (make-array java.nio.file.attribute.FileAttribute 0))
          (java.nio.file.Files/copy (.toPath f) dst
                                    ^"[Ljava.nio.file.CopyOption;" (into-array java.nio.file.CopyOption [java.nio.file.StandardCopyOption/REPLACE_EXISTING]))
          (swap! n inc) (swap! b + (.length f))
          (catch java.nio.file.NoSuchFileException _ nil))))
    {:files @n :bytes @b}))

(defn- empty-dir!
  "Deletes everything under dir, leaving dir itself (it may be a weft-lazyfs mount point)."
  [^File dir]
  (doseq [^File f (reverse (rest (file-seq dir)))]
    (.delete f)))

(defn snapshot-dir ^File [test node] (File. (db/node-dir (:store test) node) "snapshot"))

(defn- take-snapshot!
  "Copies the running node's data directory to <node>/snapshot (replacing an older copy)."
  [test node]
  (let [dst (snapshot-dir test node)]
    (empty-dir! dst)
    (.mkdirs dst)
    (assoc (copy-tree! (File. (db/node-dir (:store test) node) "data") dst) :node node :taken true)))

(defn- restore-snapshot!
  "SIGKILLs the node, replaces its data directory by the copy take-snapshot! made, starts it."
  [test node]
  (let [src (snapshot-dir test node)
        data (File. (db/node-dir (:store test) node) "data")]
    (db/kill! node)
    (if (.isDirectory src)
      (do (empty-dir! data)
          (let [r (copy-tree! src data)]
            (db/start! test node)
            (assoc r :node node :restored true)))
      (do (db/start! test node) {:node node :restored false}))))

;; ---------------------------------------------------------------- clock strobes

(defonce ^:private strobes (atom {}))   ; node -> {:stop atom :future f}

(defn- start-strobe!
  "Flips node's clock offset between offset-ms and 0 every period-ms until stopped, for at most
  limit-ms (a bound in case the heal never comes)."
  [test node offset-ms period-ms limit-ms]
  (let [stop (atom false)
        end (+ (System/nanoTime) (* 1000000 (long limit-ms)))
        f (future
            (loop [on true]
              (when (and (not @stop) (< (System/nanoTime) end))
                (db/set-clock-offset! test node (if on offset-ms 0))
                (Thread/sleep (long period-ms))
                (recur (not on))))
            (db/set-clock-offset! test node 0))]
    (swap! strobes assoc node {:stop stop :future f})))

(defn- stop-strobe! [test node]
  (when-let [{:keys [stop future]} (get @strobes node)]
    (reset! stop true)
    (deref future 5000 nil)
    (swap! strobes dissoc node))
  (db/set-clock-offset! test node 0))

;; ---------------------------------------------------------------- membership

(defn- on-some-node
  "(f url) through the first running node that answers, in node order; the last error's
  message when none does."
  [test f]
  (loop [[n & more] (filter db/running? (:nodes test)) err "no node running"]
    (if-not n
      {:ok false :error err}
      (let [r (try (assoc (f (str "nats://" (hosts/ip n) ":" db/client-port)) :via n)
                   (catch Exception e {:ok false :error (.getMessage e)}))]
        (if (or (:ok r) (:group r) (empty? more))
          r
          (recur more (:error r)))))))

(defn- group [test]
  (on-some-node test #(client/stream-group % (:timeout-ms test))))

(defn- member-start! [test target pick]
  (let [before (group test)
        t (:timeout-ms test)]
    (case target
      :peer-remove
      (if-let [g (seq (:group before))]
        (let [peer (nth (vec g) (mod pick (count g)))]
          {:kind :peer-remove :peer peer :before before
           :answer (on-some-node test #(client/peer-remove! % t peer))})
        {:kind :peer-remove :before before :answer {:ok false :error "no stream group known"}})
      :grow
      (if-let [r (:replicas before)]
        (if (< r (count (:nodes test)))
          {:kind :grow :from r :to (inc r) :before before
           :answer (on-some-node test #(client/scale! % t (inc r)))}
          {:kind :grow :before before :answer {:ok false :error "no spare server"}})
        {:kind :grow :before before :answer {:ok false :error "no stream group known"}}))))

(defn- member-stop!
  "The heal: a grown stream is scaled back to the run's replicas; the group is recorded either way."
  [test target]
  (let [now (group test)
        base (:replicas test)]
    (if (and (= target :grow) base (:replicas now) (> (:replicas now) base))
      {:kind :shrink :from (:replicas now) :to base :before now
       :answer (on-some-node test #(client/scale! % (:timeout-ms test) base))}
      {:kind :settled :group now})))

(defn apply-op!
  "Carries out one schedule entry against the running cluster; a file fault returns the damage
  it did ({:damage [...]}), the others nil."
  [test {:keys [f fault nodes grudge delay-ms jitter-ms damage-seed offset-ms kill period-ms target pick paused]}]
  (case [f fault]
    [:start :snapshot] {:snapshot (mapv #(take-snapshot! test %) nodes)}
    [:stop :snapshot] {:snapshot (mapv #(restore-snapshot! test %) nodes)}
    [:start :strobe] (doseq [n nodes] (start-strobe! test n offset-ms period-ms (* 3 1000 (:interval test 10))))
    [:stop :strobe] (doseq [n nodes] (stop-strobe! test n))
    [:start :snapshot-kill] (do (doseq [n paused] (db/pause! n))
                                {:snapshot (mapv #(take-snapshot! test %) nodes)})
    [:stop :snapshot-kill] (let [r (mapv #(restore-snapshot! test %) nodes)]
                             (doseq [n paused] (db/resume! n))
                             (doseq [n kill] (db/crash! test n))
                             ;; the stale majority elects and takes writes before the others return
                             (Thread/sleep (long (* 1000 (min 5 (:interval test 10)))))
                             (doseq [n kill] (when-not (db/running? n) (db/start! test n)))
                             {:snapshot (conj r {:paused paused :killed kill})})
    [:start :member] {:member (member-start! test target pick)}
    [:stop :member] {:member (member-stop! test target)}
    [:start :clock] (doseq [n nodes] (db/set-clock-offset! test n offset-ms))
    [:stop :clock] (doseq [n nodes] (db/set-clock-offset! test n 0))
    [:start :partition-kill] (do (hosts/partition! grudge) (doseq [n kill] (db/crash! test n)))
    [:stop :partition-kill] (do (doseq [n kill] (when-not (db/running? n) (db/start! test n)))
                                (hosts/heal! (:nodes test)))
    [:start :pause-kill] (do (doseq [n nodes] (db/pause! n)) (doseq [n kill] (db/crash! test n)))
    [:stop :pause-kill] (do (doseq [n nodes] (db/resume! n))
                            (doseq [n kill] (when-not (db/running? n) (db/start! test n))))
    [:start :bitflip] (damage! test :bitflip nodes damage-seed)
    [:start :truncate] (damage! test :truncate nodes damage-seed)
    ([:stop :bitflip] [:stop :truncate]) (do (doseq [n nodes] (when-not (db/running? n) (db/start! test n))) nil)
    [:start :kill] (do (doseq [n nodes] (db/crash! test n)) nil)
    [:stop :kill] (doseq [n nodes] (when-not (db/running? n) (db/start! test n)))
    [:start :pause] (doseq [n nodes] (db/pause! n))
    [:stop :pause] (doseq [n nodes] (db/resume! n))
    ([:start :partition] [:start :bridge] [:start :one-way]) (hosts/partition! grudge)
    ([:stop :partition] [:stop :bridge] [:stop :one-way]) (hosts/heal! (:nodes test))
    [:start :delay] (hosts/delay! nodes delay-ms jitter-ms)
    [:stop :delay] (do (hosts/undelay! nodes) nil)))

(defn heal-all!
  "Undoes every fault: heals partitions and delay, resumes paused and restarts dead servers."
  [test]
  (let [nodes (:nodes test)]
    (hosts/heal! nodes)
    (hosts/undelay! nodes)
    (doseq [n (keys @strobes)] (stop-strobe! test n))
    (when (:clock-offsets test) (doseq [n nodes] (db/set-clock-offset! test n 0)))
    (doseq [n nodes]
      (db/resume! n)
      (when-not (db/running? n) (db/start! test n)))
    (log "nemesis: healed all")))
