(ns weft.jepsen.files
  "File faults on a node's data directory, made while the node's server is down: bit flips
  (two bits in each of one or two files) and truncation (one file loses a tail, usually a short
  one). Which files, where and how much follow from a seed and the sorted file list, so a run's
  damage can be read back from its history and made again. No root needed; the nemesis calls
  these between a SIGKILL and the restart."
  (:import (java.io File RandomAccessFile)
           (java.util Random)))

(defn- relative [^File root ^File f]
  (str (.relativize (.toPath root) (.toPath f))))

(defn data-files
  "Every non-empty regular file under dir whose path relative to dir matches pattern (a regex
  string, found anywhere in the path; nil: every file), sorted by path (a stable order for the seed)."
  ([^File dir] (data-files dir nil))
  ([^File dir pattern]
   (let [re (when pattern (re-pattern pattern))]
     (->> (file-seq dir)
          (filter #(and (.isFile ^File %) (pos? (.length ^File %))
                        (or (nil? re) (re-find re (relative dir %)))))
          (sort-by #(.getPath ^File %))
          vec))))

(defn- choose [^Random rnd n xs]
  (let [l (java.util.ArrayList. ^java.util.Collection xs)]
    (java.util.Collections/shuffle l rnd)
    (vec (take n l))))

(defn flip-bit!
  "Inverts bit `bit` (0-7) of the byte at `offset` of file f."
  [^File f offset bit]
  (with-open [raf (RandomAccessFile. f "rw")]
    (.seek raf (long offset))
    (let [b (.read raf)]
      (.seek raf (long offset))
      (.write raf (int (bit-xor b (bit-shift-left 1 bit)))))))

(defn bitflip!
  "Flips two random bits in each of one or two files of dir (those matching pattern) chosen by
  seed. Returns what it did: [{:file relative-path :offset n :bit b} ...] (empty when no file)."
  [^File dir pattern seed]
  (let [rnd (Random. (long seed))
        files (data-files dir pattern)]
    (vec (for [^File f (choose rnd (min (count files) (inc (.nextInt rnd 2))) files)
               _ (range 2)
               :let [offset (long (mod (.nextLong rnd) (.length f)))
                     bit (.nextInt rnd 8)]]
           (do (flip-bit! f offset bit)
               {:file (relative dir f) :offset offset :bit bit})))))

(defn cut-length
  "How many bytes a truncation of a file of `length` bytes removes: at least one, mostly few
  (the cube of a uniform draw, as a Zipf-like bias toward short tails), at most all."
  [^Random rnd length]
  (let [u (.nextDouble rnd)]
    (max 1 (min length (long (Math/ceil (* length u u u)))))))

(defn truncate!
  "Cuts a tail off one file of dir (of those matching pattern) chosen by seed. Returns
  [{:file :from :to}] (empty when no file)."
  [^File dir pattern seed]
  (let [rnd (Random. (long seed))
        files (data-files dir pattern)]
    (if (empty? files)
      []
      (let [^File f (nth files (.nextInt rnd (count files)))
            len (.length f)
            to (- len (cut-length rnd len))]
        (with-open [raf (RandomAccessFile. f "rw")]
          (.setLength raf to))
        [{:file (relative dir f) :from len :to to}]))))
