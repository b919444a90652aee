;; The word loops of a tally (chunked-tally.ts) as a small WebAssembly module.
;;
;; Why WebAssembly: a project's first recount runs before V8 has optimized any JavaScript. The same loops
;; interpreted cost ~50-80 ns a word on the bench VM (5-9 ms for three 1M-item sets), while WebAssembly is
;; compiled before its first call (baseline code, with a popcount instruction).
;;
;; Compiled by `npm run build:wasm` (scripts/build-wasm.ts, the wabt package) into tally-kernel.wasm.ts, which
;; is what the app loads: nothing at run time needs wabt. test/unit/curate/tally-kernel.test.ts compiles this
;; file again and fails when its bytes differ from the committed ones (an edit here without `build:wasm`).
;;
;; Every address is a byte offset into the memory the caller (chunked-tally.ts) provides and fills; words are
;; little-endian u32, bit b of an item set is bit (b & 31) of word (b >> 5). Every loop runs while an unsigned
;; counter is below its bound, so a zero count does nothing (tally-kernel.ts calls each function once so with
;; nothing to do: V8 compiles WebAssembly functions lazily, on their first call).
(module
  (import "m" "memory" (memory 1))

  ;; fix(ids, count, w0, n, target, on): a streamed set's id corrections, applied to the one chunk of its words
  ;; now in memory. For each of the `count` i32 ids at `ids`, if its word lies in [w0, w0 + n) (the chunk's
  ;; words, held at `target`), its bit is set when `on` is non-zero, else cleared. Ids of other chunks are
  ;; skipped: the caller passes every run again for each chunk, in order, as a later fix may undo an earlier one.
  (func $fix (export "fix")
    (param $ids i32) (param $count i32) (param $w0 i32) (param $n i32) (param $target i32) (param $on i32)
    (local $k i32)    ;; index of the id in the run
    (local $id i32)
    (local $w i32)    ;; the id's word, relative to the chunk (unsigned: an id before the chunk wraps to >= n)
    (local $at i32)   ;; that word's address
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $w (i32.sub (i32.shr_u (local.get $id) (i32.const 5)) (local.get $w0)))
        (if (i32.lt_u (local.get $w) (local.get $n))
          (then
            (local.set $at (i32.add (local.get $target) (i32.shl (local.get $w) (i32.const 2))))
            ;; i32.shl takes the shift modulo 32: 1 << id is the id's bit within its word.
            (i32.store (local.get $at)
              (if (result i32) (local.get $on)
                (then (i32.or (i32.load (local.get $at)) (i32.shl (i32.const 1) (local.get $id))))
                (else (i32.and (i32.load (local.get $at)) (i32.xor (i32.shl (i32.const 1) (local.get $id)) (i32.const -1))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; tally(sets, n, stride, cum): one chunk of every set's words side by side, set r's at r * stride (bytes)
  ;; from address 0, `n` words each. Adds to the i32 counter cum[r] (r >= 1, at byte `cum`) the bits of set r
  ;; in none of the sets before it: the items rule r removes that earlier rules did not. Set 0's own count
  ;; and the union are known to the caller without this (its count, and the sum of the counters).
  (func $tally (export "tally")
    (param $sets i32) (param $n i32) (param $stride i32) (param $cum i32)
    (local $w i32)       ;; word index in the chunk
    (local $before i32)  ;; union of sets 0..r-1 in word w
    (local $r i32)       ;; set index
    (local $v i32)       ;; set r's word w
    (local $added i32)   ;; its bits in none of the sets before it
    (local $p i32)       ;; address of set r's word w
    (local $q i32)       ;; address of cum[r]
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $w) (local.get $n)))
        ;; Set 0's word w (set 0 starts at address 0).
        (local.set $p (i32.shl (local.get $w) (i32.const 2)))
        (local.set $before (i32.load (local.get $p)))
        (local.set $r (i32.const 1))
        (block $sets_done
          (loop $set
            (br_if $sets_done (i32.ge_u (local.get $r) (local.get $sets)))
            ;; The same word of the next set, one stride on.
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $v (i32.load (local.get $p)))
            (local.set $added (i32.and (local.get $v) (i32.xor (local.get $before) (i32.const -1))))
            (local.set $before (i32.or (local.get $before) (local.get $v)))
            (local.set $q (i32.add (local.get $cum) (i32.shl (local.get $r) (i32.const 2))))
            (i32.store (local.get $q) (i32.add (i32.load (local.get $q)) (i32.popcnt (local.get $added))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $set)))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (br $word)))))
